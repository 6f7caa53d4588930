"""Forms of the visit and stay pages. They only read what was typed; every rule (property,
outlet, document number, dates, amounts) is visits.services', whose errors go onto the
fields (core.forms.add_service_errors)."""

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingke.core.models import Outlet
from yingke.visits import services
from yingke.visits.models import Visit

DATETIME = "%Y-%m-%dT%H:%M"


class VisitForm(forms.Form):
    occurred_at = forms.DateTimeField(label=_("Date and time"), required=False, input_formats=[DATETIME],
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME))
    outlet = forms.ModelChoiceField(Outlet.objects.none(), label=_("Outlet"), required=False,
                                    empty_label=_("— not given —"))
    amount = forms.CharField(label=_("Amount (yuan)"), max_length=20,
                             help_text=_("Two decimals at most; a negative amount is a refund."),
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    covers = forms.IntegerField(label=_("Covers"), min_value=1, max_value=9999, initial=1)
    table_no = forms.CharField(label=_("Table or room"), max_length=20, required=False)
    occasion = forms.ChoiceField(label=_("Occasion"), required=False)
    doc_no = forms.CharField(label=_("Document number"), max_length=40, required=False,
                             help_text=_("The POS or PMS bill number; unique in the property."))
    served_by = forms.ModelChoiceField(get_user_model().objects.none(), label=_("Served by"), required=False,
                                       empty_label=_("— not given —"))
    # A stay.
    arrival = forms.DateField(label=_("Arrival"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    departure = forms.DateField(label=_("Departure"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    room_type = forms.CharField(label=_("Room type"), max_length=40, required=False)
    rate = forms.CharField(label=_("Room rate (yuan)"), max_length=20, required=False,
                           widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    channel = forms.CharField(label=_("Booking channel"), max_length=40, required=False,
                              help_text=_("For example 携程, 美团, direct, travel agency."))

    STAY_ONLY = ("arrival", "departure", "room_type", "rate", "channel")
    VISIT_ONLY = ("table_no",)

    def __init__(self, *args, customer, stay=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer, self.stay = customer, stay
        self.fields["outlet"].queryset = Outlet.objects.filter(property_id=customer.property_id).order_by("code")
        self.fields["served_by"].queryset = (get_user_model().objects.filter(
            is_active=True, properties=customer.property_id).order_by("display_name", "username"))
        self.fields["served_by"].label_from_instance = lambda u: u.label
        self.fields["occasion"].choices = [("", _("— not given —"))] + list(Visit.Occasion.choices)
        for name in (self.VISIT_ONLY if stay else self.STAY_ONLY):
            del self.fields[name]
        if stay:
            self.fields["occurred_at"].help_text = _("Left empty: the departure day at noon.")
            self.fields["covers"].label = _("Guests")
        elif not self.is_bound and "occurred_at" not in self.initial:
            self.initial["occurred_at"] = timezone.localtime().replace(second=0, microsecond=0)

    def _money(self, name, **limits):
        errors: dict = {}
        value = services.parse_money(self.cleaned_data.get(name), name, errors, **limits)
        if errors:
            raise forms.ValidationError(errors[name])
        return value

    def clean_amount(self):
        return self._money("amount", lo=-services.MAX_AMOUNT, hi=services.MAX_AMOUNT)

    def clean_rate(self):
        return self._money("rate", lo=Decimal(0), hi=services.MAX_RATE,
                           label_negative=_("A room rate cannot be negative."))

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        return {k: v for k, v in data.items() if k in self.fields}

    @classmethod
    def initial_from(cls, visit: Visit) -> dict:
        initial = {name: getattr(visit, name) for name in (
            "outlet", "covers", "table_no", "occasion", "doc_no", "served_by", "arrival", "departure", "room_type",
            "channel")}
        initial["occurred_at"] = timezone.localtime(visit.occurred_at)
        initial["amount"] = f"{visit.amount:.2f}"
        initial["rate"] = f"{visit.rate:.2f}" if visit.rate is not None else ""
        return initial


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Why is this visit voided?"), max_length=200,
                             help_text=_("It stays in the history, struck through, and counts nowhere."))
