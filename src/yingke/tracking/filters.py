"""The lead list's filters, defined once (R-7.1): the leads page, its export and the API list read
their query string through `LeadFilter` (django-filter). It starts from
`Lead.objects.visible_to(user)`, so a filter only narrows what the user may see.

    property   property code (case-insensitive)
    stage      a stage number (1 target … 7 customer)
    source     one of the seven sources (seed 001)
    owner      me | none (unassigned) | a user id
    state      open (default) | converted | dropped | all
    q          text the name, mobile or employer contains
    created_from, created_to   created on or after / on or before a date (YYYY-MM-DD)
"""

import builtins
import datetime as dt

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingke.core import permissions
from yingke.core.models import Property
from yingke.core.pagination import Ordering
from yingke.customers.filters import (
    DATE,
    DATE_MESSAGE,
    FilterForm,
    OneOf,
    TextDate,
    _Once,
    filterable_owners,
    plain_text,
)
from yingke.tracking.models import Lead, Source, Stage

STATES = [("open", _("Open")), ("converted", _("Converted")), ("dropped", _("Dropped")), ("all", _("All"))]
DEFAULT_STATE = "open"
ORDERING = Ordering("-created", "created_at", descending=True)  # keyset: newest first
Q_MAX = 50


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class LeadFilter(django_filters.FilterSet):
    property = django_filters.CharFilter(
        field_name="property__code", lookup_expr="iexact", max_length=20, strip=False, label=_("Property"),
        help_text=_("Property code."))
    stage = OneOf(choices=[(str(v), label) for v, label in Stage.choices], blank=_("Any"),
                  method="filter_stage", label=_("Stage"), help_text=_("Stage number, 1 (target) to 7 (customer)."))
    source = OneOf(choices=Source.choices, blank=_("Any"), label=_("Source"))
    owner = django_filters.CharFilter(
        method="filter_owner", max_length=20, strip=False, label=_("Account manager"),
        validators=[RegexValidator(r"\A(me|none|[0-9]{1,18})\Z", _("Use 'me', 'none' or a user id."))],
        help_text=_("'me', 'none' (unassigned) or a user id."))
    state = OneOf(choices=STATES, method="filter_state", label=_("State"),
                  help_text=_("open (default), converted, dropped or all."))
    q = django_filters.CharFilter(method="filter_q", max_length=Q_MAX, strip=False, label=_("Search"),
                                  validators=[plain_text], help_text=_("Part of the name, mobile or employer."))
    created_from = TextDate(method="filter_from", max_length=10, strip=False,
                            validators=[RegexValidator(DATE, DATE_MESSAGE)], label=_("Created from"),
                            widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("Created on or after this date (YYYY-MM-DD)."))
    created_to = TextDate(method="filter_to", max_length=10, strip=False,
                          validators=[RegexValidator(DATE, DATE_MESSAGE)], label=_("Created to"),
                          widget=forms.DateInput(attrs={"type": "date"}),
                          help_text=_("Created on or before this date (YYYY-MM-DD)."))

    class Meta:
        model = Lead
        fields = []
        form = FilterForm

    def __init__(self, data=None, *, user, ui=False, queryset=None):
        super().__init__(data or None, queryset=queryset if queryset is not None else Lead.objects.visible_to(user))
        self.user = user
        self.several_properties = len(user.property_ids()) > 1
        if ui:
            ids = user.property_ids()
            self._select("property", lambda: [("", _("All properties"))] + [
                (p.code, str(p)) for p in Property.objects.filter(pk__in=ids).order_by("code")])
            self._select("owner", lambda: [("", _("Anyone")), ("me", _("Me")), ("none", _("Unassigned"))] + [
                (str(u.pk), u.label) for u in filterable_owners(user, ids)])

    def _select(self, name, choices):
        self.filters[name].extra["widget"] = forms.Select(choices=_Once(choices))

    @builtins.property
    def qs(self):
        qs = super().qs
        # The default state (open) applies also when the form is unbound or state is empty.
        if not self.is_bound or (self.is_valid() and not self.form.cleaned_data.get("state")):
            qs = self.filter_state(qs, "state", DEFAULT_STATE)
        return qs

    # ---- filters ---------------------------------------------------------------------

    def filter_stage(self, qs, _name, value):
        return qs.filter(stage=int(value))

    def filter_owner(self, qs, _name, value):
        if value == "me":
            return qs.filter(owner=self.user)
        if value == "none":
            return qs.filter(owner__isnull=True)
        return qs.filter(owner_id=int(value))

    def filter_state(self, qs, _name, value):
        if value == "open":
            return qs.filter(dropped_at__isnull=True).exclude(stage=Stage.CUSTOMER)
        if value == "converted":
            return qs.filter(stage=Stage.CUSTOMER)
        if value == "dropped":
            return qs.filter(dropped_at__isnull=False)
        return qs

    def filter_q(self, qs, _name, value):
        text = " ".join(value.split())
        if not text:
            return qs
        digits = text.replace(" ", "").replace("-", "")
        cond = Q(name__icontains=text) | Q(employer__icontains=text)
        number = digits.lstrip("+")
        if number.isascii() and number.isdigit():
            if permissions.sees_full_mobile(self.user):
                cond |= Q(mobile__contains=number)
            elif len(number) >= 11:  # masked mobiles: the whole number, or the four digits shown —
                cond |= Q(mobile=number) | Q(mobile=f"+{number}")  # a part would spell out hidden digits
            elif len(number) == 4:
                cond |= Q(mobile__endswith=number)
        return qs.filter(cond)

    def filter_from(self, qs, _name, value):
        return qs.filter(created_at__gte=_midnight(value))

    def filter_to(self, qs, _name, value):
        return qs.filter(created_at__lt=_midnight(value + dt.timedelta(days=1)))

    # ---- for views and endpoints -------------------------------------------------------

    def invalid(self) -> bool:
        return self.is_bound and not self.is_valid()

    def ordering(self) -> Ordering:
        return ORDERING

    def applied(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: (v.isoformat() if isinstance(v, dt.date) else v)
                for k, v in self.form.cleaned_data.items() if v not in ("", None, [])}
