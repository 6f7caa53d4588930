"""Forms of the grading pages: grade now (as-of date), the parameters, a grade override.

The forms only read the input; the rules are the services' (grading.policy, grading.overrides,
grading.services.run_grading), whose ValidationError messages are put on the fields.
"""

import datetime as dt

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from yingke.customers.models import GRADES
from yingke.grading.models import GradingPolicy

EARLIEST = dt.date(2000, 1, 1)


class GradeNowForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                            help_text=_("Visits up to and including this day count; empty: today."))

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["as_of"].widget.attrs.update(max=today.isoformat(), min=EARLIEST.isoformat())

    def clean_as_of(self):
        day = self.cleaned_data.get("as_of") or self.today
        if not EARLIEST <= day <= self.today:
            raise forms.ValidationError(_("Choose a day from %(first)s to today.") % {"first": EARLIEST.isoformat()})
        return day


def _label(name):
    return capfirst(GradingPolicy._meta.get_field(name).verbose_name)


class PolicyForm(forms.Form):
    """Text inputs: the service parses and checks them (one set of rules for page and API)."""

    window_days = forms.CharField(label=_label("window_days"), max_length=12,
                                  widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 5}),
                                  help_text=_("1 to 3660 days."))
    a_share = forms.CharField(label=_label("a_share"), max_length=12,
                              widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
                              help_text=_("Share of the effective customers graded A (0–100)."))
    b_share = forms.CharField(label=_label("b_share"), max_length=12,
                              widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
                              help_text=_("Share of the other effective customers graded B; the rest are C."))
    nightly = forms.BooleanField(label=_label("nightly"), required=False)

    @classmethod
    def of(cls, policy: GradingPolicy):
        return cls(initial={"window_days": policy.window_days, "a_share": _percent(policy.a_share),
                            "b_share": _percent(policy.b_share), "nightly": policy.nightly})


def _percent(value) -> str:
    """20.00 → '20', 12.50 → '12.5' (never '2E+1')."""
    return format(value.normalize(), "f")


class OverrideForm(forms.Form):
    grade = forms.ChoiceField(label=_("Grade"), choices=[(g, g) for g in GRADES])
    reason = forms.CharField(label=_("Reason"), max_length=200,
                             widget=forms.TextInput(attrs={"maxlength": 200, "size": 30}))


class RemoveOverrideForm(forms.Form):
    reason = forms.CharField(label=_("Reason for removing it"), max_length=200,
                             widget=forms.TextInput(attrs={"maxlength": 200, "size": 30}))
