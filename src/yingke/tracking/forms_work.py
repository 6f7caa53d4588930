"""Forms and filters of the follow-up, task, commitment and cadence pages. They only shape the
input: tracking.services and tracking.cadence_config hold the rules."""

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingke.core.services import valid_id
from yingke.tracking.models import Buyers, Channel, Event, Outcome, TaskRole

DATE = {"type": "date"}
MIN_YEAR, MAX_YEAR = 2000, 2100


def _blank(choices, label=None):
    return [("", label or _("All")), *choices]


def _date_field(label, required=True):
    return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs=DATE))


class _YearsMixin:
    """Dates between 2000 and 2100: anything else is a typing mistake."""

    date_fields: tuple = ()

    def clean(self):
        data = super().clean()
        for name in self.date_fields:
            value = data.get(name)
            if value and not MIN_YEAR <= value.year <= MAX_YEAR:
                self.add_error(name, _("Enter a date between 2000 and 2100."))
        return data


class _PeopleMixin:
    """A choice of staff among `people` (read once by the view), returned as the user object."""

    def _people(self, name, people, blank):
        self._people_by = {str(p.pk): p for p in people}
        self.fields[name].choices = [("", blank), *((str(p.pk), p.label) for p in people)]

    def _person(self, name):
        raw = self.cleaned_data.get(name)
        return self._people_by.get(raw) if raw else None


# ---- follow-ups and tasks ----------------------------------------------------------------------

class FollowUpForm(_YearsMixin, forms.Form):
    """A logged follow-up, and the written result that completes a task (R-7.3, R-7.6)."""

    date_fields = ("next_on",)

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices, initial=Outcome.REACHED)
    summary = forms.CharField(label=_("What was said"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              error_messages={"required": _("Write down what was said: a follow-up is "
                                                            "recorded only with its result.")})
    occurred_at = forms.DateTimeField(label=_("When"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                      help_text=_("Leave empty for now."))
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=200)
    next_on = _date_field(_("Next step on"), required=False)

    def clean_occurred_at(self):
        value = self.cleaned_data.get("occurred_at")
        if value and not MIN_YEAR <= value.year <= MAX_YEAR:
            raise forms.ValidationError(_("Enter a date between 2000 and 2100."))
        return value

    def service_data(self) -> dict:
        d = self.cleaned_data
        return {"channel": d["channel"], "outcome": d["outcome"], "summary": d["summary"],
                "occurred_at": d.get("occurred_at"), "next_step": d.get("next_step", ""),
                "next_on": d.get("next_on")}


class TaskDoneForm(FollowUpForm):
    """The written result of a task: without it the task stays open."""


class TaskForm(_PeopleMixin, _YearsMixin, forms.Form):
    date_fields = ("due_on",)

    title = forms.CharField(label=_("Follow-up task"), max_length=200)
    due_on = _date_field(_("Due"))
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False, choices=[])

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._people("assignee", people, _("Me"))

    def service_data(self) -> dict:
        d = self.cleaned_data
        return {"title": d["title"], "due_on": d["due_on"], "assignee": self._person("assignee")}


# ---- commitments -------------------------------------------------------------------------------

class CommitmentForm(_PeopleMixin, _YearsMixin, forms.Form):
    date_fields = ("due_on",)

    promised = forms.CharField(label=_("What was promised"), max_length=300)
    to_whom = forms.CharField(label=_("To whom"), max_length=60, required=False)
    due_on = _date_field(_("By when"))
    owner = forms.ChoiceField(label=_("Promised by"), required=False, choices=[])

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._people("owner", people, _("Me"))

    def service_data(self) -> dict:
        d = self.cleaned_data
        return {"promised": d["promised"], "to_whom": d.get("to_whom", ""), "due_on": d["due_on"],
                "owner": self._person("owner")}


class KeepForm(forms.Form):
    result = forms.CharField(label=_("How it was kept"), max_length=300,
                             error_messages={"required": _("Say how the promise was kept.")})


# ---- cadence rules -----------------------------------------------------------------------------

class CadenceRuleForm(forms.Form):
    name = forms.CharField(label=_("Rule name"), max_length=60)
    event = forms.ChoiceField(label=_("Event"), choices=Event.choices)
    buyers = forms.ChoiceField(label=_("For"), choices=Buyers.choices, initial=Buyers.ANY)
    offsets = forms.CharField(label=_("Days after the event"), max_length=100,
                              help_text=_("Whole numbers from 1 to 365, separated by commas, e.g. 3, 30, 60."))
    role = forms.ChoiceField(label=_("Done by"), choices=TaskRole.choices)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    @classmethod
    def initial_of(cls, rule) -> dict:
        return {"name": rule.name, "event": rule.event, "buyers": rule.buyers, "offsets": rule.offsets_text,
                "role": rule.role, "is_active": rule.is_active}

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


# ---- list filters (django-filter) --------------------------------------------------------------

def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class _ListFilterSet(django_filters.FilterSet):
    """Filters of a list the user sees: property codes and staff choices depend on the user
    (`properties`, `people`, given by the view)."""

    def __init__(self, data=None, queryset=None, *, properties=(), people=(), user=None, **kwargs):
        self.properties = {p.code.lower(): p for p in properties}
        self.people = {str(p.pk): p for p in people}
        self.user = user
        super().__init__(data, queryset, **kwargs)
        self.filters["property"].extra["choices"] = [(p.code, f"{p.code} {p.name}") for p in properties]
        self.filters[self.person_field].extra["choices"] = [
            ("me", _("Me")), *((str(p.pk), p.label) for p in people if user is None or p.pk != user.pk)]

    person_field = ""

    def by_property(self, qs, name, value):
        prop = self.properties.get(str(value).lower())
        return qs.filter(property=prop) if prop else qs.none()

    def by_person(self, qs, name, value):
        if value == "me":
            return qs.filter(**{f"{name}_id": getattr(self.user, "pk", None)})
        person = self.people.get(value)
        return qs.filter(**{f"{name}_id": person.pk}) if person else qs.none()


class FollowUpFilterSet(_ListFilterSet):
    """The follow-up log: property, author, channel, outcome, and the days it happened."""

    person_field = "author"

    property = django_filters.ChoiceFilter(label=_("Property"), choices=[], method="by_property", empty_label=_("All"))
    author = django_filters.ChoiceFilter(label=_("By"), choices=[], method="by_person", empty_label=_("Anyone"))
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices, empty_label=_("All"))
    outcome = django_filters.ChoiceFilter(label=_("Outcome"), choices=Outcome.choices, empty_label=_("All"))
    date_from = django_filters.DateFilter(label=_("From"), method="from_day", widget=forms.DateInput(attrs=DATE))
    date_to = django_filters.DateFilter(label=_("Until"), method="to_day", widget=forms.DateInput(attrs=DATE))

    def from_day(self, qs, name, value):
        return qs.filter(occurred_at__gte=_day_start(value))

    def to_day(self, qs, name, value):
        return qs.filter(occurred_at__lt=_day_start(value + dt.timedelta(days=1)))

    def is_valid(self):
        ok = super().is_valid()
        d = self.form.cleaned_data if ok else {}
        for name in ("date_from", "date_to"):
            if d.get(name) and not MIN_YEAR <= d[name].year <= MAX_YEAR:
                self.form.add_error(name, _("Enter a date between 2000 and 2100."))
                ok = False
        if ok and d.get("date_from") and d.get("date_to") and d["date_from"] > d["date_to"]:
            self.form.add_error("date_to", _("The end date is before the start date."))
            ok = False
        return ok


class CommitmentFilterSet(_ListFilterSet):
    """Commitments: property, who promised, state (open, overdue, kept, all)."""

    STATES = [("open", _("Open")), ("overdue", _("Overdue")), ("kept", _("Kept")), ("all", _("All"))]
    person_field = "owner"

    state = django_filters.ChoiceFilter(label=_("State"), choices=STATES, method="by_state", empty_label=None)
    property = django_filters.ChoiceFilter(label=_("Property"), choices=[], method="by_property", empty_label=_("All"))
    owner = django_filters.ChoiceFilter(label=_("Promised by"), choices=[], method="by_person",
                                        empty_label=_("Anyone"))

    def by_state(self, qs, name, value):
        if value == "kept":
            return qs.filter(done_at__isnull=False)
        if value == "all":
            return qs
        qs = qs.filter(done_at__isnull=True)
        if value == "overdue":  # past its date in its own property's time zone
            q = Q(pk__in=[])
            for prop in self.properties.values():
                q |= Q(property=prop, due_on__lt=prop.local_today())
            qs = qs.filter(q)
        return qs


def parse_id(raw) -> int | None:
    raw = str(raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        return None
    pk = int(raw)
    return pk if valid_id(pk) else None
