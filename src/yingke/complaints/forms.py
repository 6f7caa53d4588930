"""Forms of the complaint pages. They only shape the input: the rules are in
complaints.services (record, advance, decide, resolve_on_the_spot, save_policy)."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingke.complaints.models import (
    Channel,
    Compensation,
    ComplaintPolicy,
    Kind,
    Satisfaction,
    Severity,
    Step,
)
from yingke.complaints.services import STEP_FIELDS
from yingke.core.models import Outlet

TEXTAREA = {"rows": 3}


def _blank(choices, label=None):
    return [("", label or _("All")), *choices]


# ---- the list's filters ---------------------------------------------------------------------

class FilterForm(forms.Form):
    STATES = [("open", _("Open")), ("archived", _("Archived")), ("all", _("All"))]

    state = forms.ChoiceField(label=_("State"), choices=STATES, required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    kind = forms.ChoiceField(label=_("Type"), choices=_blank(Kind.choices), required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=_blank(Severity.choices), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=_blank(Channel.choices), required=False)
    property = forms.ChoiceField(label=_("Property"), choices=[], required=False)
    outlet = forms.ChoiceField(label=_("Outlet"), choices=[], required=False)
    date_from = forms.DateField(label=_("Recorded from"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Recorded until"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Words or TS000123")}))
    customer = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput())

    def __init__(self, *args, properties=(), outlets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["property"].choices = _blank([(p.code, f"{p.code} {p.name}") for p in properties])
        several = len(properties) > 1
        self.fields["outlet"].choices = _blank(
            [(str(o.pk), f"{o.property.code} · {o.name}" if several else o.name) for o in outlets])

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        for name in ("date_from", "date_to"):
            if data.get(name) and not 2000 <= data[name].year <= 2100:
                self.add_error(name, _("Enter a date between 2000 and 2100."))
        if start and end and start > end and not self.errors:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


# ---- recording a complaint (step 1) --------------------------------------------------------

class ComplaintForm(forms.Form):
    property = forms.ChoiceField(label=_("Property"), choices=[])
    customer_code = forms.CharField(label=_("Guest's customer code"), required=False, max_length=30,
                                    help_text=_("Leave empty for a guest without a file (anonymous)."))
    contact_name = forms.CharField(label=_("Contact name"), required=False, max_length=60)
    contact_phone = forms.CharField(label=_("Contact phone"), required=False, max_length=40)
    kind = forms.ChoiceField(label=_("Type"), choices=_blank(Kind.choices, _("Choose…")))
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.IN_PERSON)
    outlet = forms.ChoiceField(label=_("Outlet"), choices=[], required=False)
    location = forms.CharField(label=_("Room or table"), required=False, max_length=40)
    staff_involved = forms.CharField(label=_("Staff involved"), required=False, max_length=200)
    words = forms.CharField(label=_("The guest's words"), max_length=4000,
                            widget=forms.Textarea(attrs={"rows": 5}),
                            help_text=_("As the guest said it: what happened and what they expect."))
    occurred_at = forms.DateTimeField(label=_("When it happened"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                 format="%Y-%m-%dT%H:%M"))

    def __init__(self, *args, properties=(), outlets=(), customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["property"].choices = [(p.code, f"{p.code} {p.name}") for p in properties]
        if len(properties) <= 1 or customer is not None:
            self.fields["property"].widget = forms.HiddenInput()
        several = len({o.property_id for o in outlets}) > 1
        self.fields["outlet"].choices = _blank(
            [(str(o.pk), f"{o.property.code} · {o.name}" if several else o.name) for o in outlets], _("None"))
        if customer is not None:
            del self.fields["customer_code"]

    def clean_occurred_at(self):
        value = self.cleaned_data.get("occurred_at")
        if value is not None and not 2000 <= value.year <= 2100:
            raise forms.ValidationError(_("Enter a date between 2000 and 2100."))
        return value

    def clean_outlet(self):
        raw = self.cleaned_data.get("outlet") or ""
        return Outlet.objects.filter(pk=int(raw)).first() if raw.isdigit() else None


# ---- the steps ------------------------------------------------------------------------------

FIELD_LABELS = {
    "apology": _("How the apology was made"),
    "findings": _("What verification found"),
    "solution": _("Solution agreed with the guest"),
    "carried_out": _("What was done"),
    "check_back": _("Result of checking back with the guest"),
}


def _text(name, required):
    # Whether the text is required is the service's rule (services.STEP_FIELDS), with its own
    # message (archiving without the check-back result): the form only marks the field.
    attrs = {**TEXTAREA, "aria-required": "true"} if required else TEXTAREA
    return forms.CharField(label=FIELD_LABELS[name], required=False, max_length=4000,
                           widget=forms.Textarea(attrs=attrs))


def _compensation_fields(form):
    form.fields["compensation"] = forms.ChoiceField(label=_("Compensation"), choices=Compensation.choices,
                                                    initial=Compensation.NONE, required=False)
    form.fields["compensation_amount"] = forms.CharField(
        label=_("Compensation value (¥)"), required=False, max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}))


def _satisfaction_field(form):
    form.fields["satisfaction"] = forms.ChoiceField(label=_("Guest's satisfaction"), required=False,
                                                    choices=_blank(Satisfaction.choices, _("Choose…")))


class StepForm(forms.Form):
    """The fields of one step (services.STEP_FIELDS), and its number so that a stale page or a
    second click is a clear conflict."""

    step = forms.IntegerField(widget=forms.HiddenInput())

    def __init__(self, step: Step, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.step_number = step
        self.fields["step"].initial = int(step)
        for name, required in STEP_FIELDS[step].items():
            self.fields[name] = _text(name, required)
        if step == Step.AGREED:
            _compensation_fields(self)
        if step == Step.ARCHIVED:
            _satisfaction_field(self)

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "step"}


class OnTheSpotForm(forms.Form):
    apology = _text("apology", False)
    solution = _text("solution", True)
    carried_out = _text("carried_out", True)
    check_back = _text("check_back", True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _compensation_fields(self)
        _satisfaction_field(self)
        self.fields["check_back"].label = _("The guest's answer")

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


class DecideForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)


# ---- settings -------------------------------------------------------------------------------

DAYS = [("1", _("Mon")), ("2", _("Tue")), ("3", _("Wed")), ("4", _("Thu")), ("5", _("Fri")), ("6", _("Sat")),
        ("7", _("Sun"))]
LIMIT_STEPS = [Step.APOLOGISED, Step.VERIFIED, Step.AGREED, Step.CARRIED_OUT, Step.ARCHIVED]


def limit_name(severity, step) -> str:
    return f"limit_{severity}_{int(step)}"


class PolicyForm(forms.Form):
    approval_threshold = forms.CharField(label=_("Compensation needs the general manager's approval above (¥)"),
                                         max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    clock = forms.ChoiceField(label=_("Time limits count"), choices=ComplaintPolicy.Clock.choices,
                              widget=forms.RadioSelect)
    business_start = forms.TimeField(label=_("Business hours from"),
                                     widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    business_end = forms.TimeField(label=_("Business hours until"),
                                   widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    business_days = forms.MultipleChoiceField(label=_("Business days"), choices=DAYS,
                                              widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for sev in Severity.values:
            for step in LIMIT_STEPS:
                self.fields[limit_name(sev, step)] = forms.DecimalField(
                    label=f"{Severity(sev).label} · {Step(step).label}", min_value=0, max_value=2160,
                    decimal_places=2, max_digits=6,
                    widget=forms.NumberInput(attrs={"step": "0.25", "min": "0", "class": "limit-input"}))

    @classmethod
    def initial_of(cls, policy: ComplaintPolicy) -> dict:
        initial = {"approval_threshold": f"{policy.approval_threshold:.2f}", "clock": policy.clock,
                   "business_start": policy.business_start, "business_end": policy.business_end,
                   "business_days": list(policy.business_days)}
        for sev in Severity.values:
            for step in LIMIT_STEPS:
                hours = policy.limit_hours(sev, step)
                initial[limit_name(sev, step)] = int(hours) if hours == int(hours) else hours
        return initial

    def rows(self):
        """The limit table: one row per severity, a field per step."""
        return [(Severity(sev).label, [self[limit_name(sev, step)] for step in LIMIT_STEPS])
                for sev in Severity.values]

    def service_data(self) -> dict:
        d = self.cleaned_data
        limits = {sev: {str(int(step)): float(d[limit_name(sev, step)]) for step in LIMIT_STEPS}
                  for sev in Severity.values}
        return {"approval_threshold": d["approval_threshold"], "clock": d["clock"],
                "business_start": d["business_start"], "business_end": d["business_end"],
                "business_days": d["business_days"], "limits": limits}


def local_day_bounds(day: dt.date, end: bool = False) -> dt.datetime:
    """The start of `day` (or of the day after, `end`) in the current time zone."""
    if end:
        day = day + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(0)))
