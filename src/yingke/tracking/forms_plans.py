"""Forms of the visit plan, visit report and pipeline pages. They only shape the input: the
rules are in tracking.plans and tracking.pipeline."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from yingke.tracking.models import OpportunityKind, OpportunityStage, Outcome
from yingke.tracking.pipeline import FORECAST_MAX_MONTHS, OPEN

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d"]
PROMISE_ROWS = 3


def _blank(choices, label=None):
    return [("", label or _("All")), *choices]


def _in_range(form, name):
    value = form.cleaned_data.get(name)
    if value is not None and not 2000 <= value.year <= 2100:
        raise forms.ValidationError(_("Enter a date between 2000 and 2100."))
    return value


class PropertyChoice(forms.Form):
    property = forms.ChoiceField(label=_("Property"), choices=[], required=False)

    def __init__(self, *args, properties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["property"].choices = [(p.code, f"{p.code} {p.name}") for p in properties]
        if len(properties) <= 1:
            self.fields["property"].widget = forms.HiddenInput()


# ---- visit plans ---------------------------------------------------------------------------

class PlanNewForm(PropertyChoice):
    month = forms.DateField(label=_("Month"), input_formats=MONTH_FORMATS, widget=MONTH)

    def clean_month(self):
        return _in_range(self, "month")


class PlanLineForm(forms.Form):
    customer_code = forms.CharField(label=_("Customer code"), max_length=30)
    planned_on = forms.DateField(label=_("Day"), widget=DATE)
    purpose = forms.CharField(label=_("Purpose"), max_length=200)

    def clean_planned_on(self):
        return _in_range(self, "planned_on")


class PlanDecideForm(forms.Form):
    DECISIONS = [("approve", _("Approve")), ("return", _("Return for changes"))]

    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, widget=forms.RadioSelect,
                                 initial="approve")
    note = forms.CharField(label=_("Note"), required=False, max_length=300,
                           help_text=_("Required when you return the plan: say what to change."))


# ---- visit reports -------------------------------------------------------------------------

class VisitReportForm(forms.Form):
    customer_code = forms.CharField(label=_("Customer code"), max_length=30)
    planned = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput())
    visited_on = forms.DateField(label=_("Visited on"), widget=DATE)
    purpose = forms.CharField(label=_("Purpose"), max_length=200)
    outcome = forms.CharField(label=_("Outcome"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    follow_up_outcome = forms.ChoiceField(label=_("How it went"), choices=Outcome.choices, initial=Outcome.REACHED)
    next_steps = forms.CharField(label=_("Next steps"), required=False, max_length=1000,
                                 widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        if customer is not None:
            del self.fields["customer_code"]
        for i in range(1, PROMISE_ROWS + 1):
            self.fields[f"promised_{i}"] = forms.CharField(label=_("Promised"), required=False, max_length=300)
            self.fields[f"to_whom_{i}"] = forms.CharField(label=_("To whom"), required=False, max_length=60)
            self.fields[f"due_on_{i}"] = forms.DateField(label=_("By when"), required=False, widget=DATE)

    def clean_visited_on(self):
        return _in_range(self, "visited_on")

    def promise_rows(self):
        return [(self[f"promised_{i}"], self[f"to_whom_{i}"], self[f"due_on_{i}"]) for i in range(1, PROMISE_ROWS + 1)]

    def promises(self) -> list[dict]:
        d, out = self.cleaned_data, []
        for i in range(1, PROMISE_ROWS + 1):
            if d.get(f"promised_{i}") or d.get(f"due_on_{i}") or d.get(f"to_whom_{i}"):
                out.append({"promised": d.get(f"promised_{i}", ""), "to_whom": d.get(f"to_whom_{i}", ""),
                            "due_on": d.get(f"due_on_{i}")})
        return out

    def clean(self):
        data = super().clean()
        for i in range(1, PROMISE_ROWS + 1):
            if data.get(f"due_on_{i}") and not 2000 <= data[f"due_on_{i}"].year <= 2100:
                self.add_error(f"due_on_{i}", _("Enter a date between 2000 and 2100."))
        return data


# ---- pipeline ------------------------------------------------------------------------------

class PipelineFilterForm(forms.Form):
    STATES = [("open", _("Open")), ("won", _("Won")), ("lost", _("Lost")), ("all", _("All"))]
    VIEWS = [("board", _("Board")), ("table", _("Table"))]

    view = forms.ChoiceField(label=_("View"), choices=VIEWS, required=False)
    state = forms.ChoiceField(label=_("State"), choices=STATES, required=False)
    kind = forms.ChoiceField(label=_("Type"), choices=_blank(OpportunityKind.choices), required=False)
    property = forms.ChoiceField(label=_("Property"), choices=[], required=False)
    owner = forms.ChoiceField(label=_("Account manager"), choices=[], required=False)
    expected_from = forms.DateField(label=_("Expected from"), required=False, widget=DATE)
    expected_to = forms.DateField(label=_("Expected until"), required=False, widget=DATE)

    def __init__(self, *args, properties=(), owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["property"].choices = _blank([(p.code, f"{p.code} {p.name}") for p in properties])
        self.fields["owner"].choices = _blank([(str(u.pk), u.label) for u in owners])

    def clean(self):
        data = super().clean()
        for name in ("expected_from", "expected_to"):
            if data.get(name) and not 2000 <= data[name].year <= 2100:
                self.add_error(name, _("Enter a date between 2000 and 2100."))
        return data


class OpportunityForm(PropertyChoice):
    customer_code = forms.CharField(label=_("Customer code"), max_length=30, required=False,
                                    help_text=_("The guest file; or open it from a lead."))
    kind = forms.ChoiceField(label=_("Type"), choices=_blank(OpportunityKind.choices, _("Choose…")))
    title = forms.CharField(label=_("Title"), max_length=100)
    stage = forms.ChoiceField(label=_("Stage"), choices=[(s.value, s.label) for s in OPEN],
                              initial=OpportunityStage.INQUIRY)
    amount = forms.DecimalField(label=_("Amount (yuan)"), min_value=0, max_digits=12, decimal_places=2)
    probability = forms.IntegerField(label=_("Probability (%)"), required=False, min_value=0, max_value=100,
                                     help_text=_("Left empty: the stage's usual probability."))
    expected_on = forms.DateField(label=_("Expected date"), widget=DATE)
    owner = forms.ChoiceField(label=_("Account manager"), choices=[], required=False)

    def __init__(self, *args, owners=(), subject=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = _blank([(str(u.pk), u.label) for u in owners], _("Nobody (shared pool)"))
        if subject is not None or editing:
            del self.fields["customer_code"]
        if editing:
            del self.fields["stage"]
            self.fields["property"].widget = forms.HiddenInput()

    def clean_expected_on(self):
        return _in_range(self, "expected_on")


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=OpportunityStage.choices)
    probability = forms.IntegerField(label=_("Probability (%)"), required=False, min_value=0, max_value=100,
                                     help_text=_("Left empty: the stage's usual probability."))
    lost_reason = forms.CharField(label=_("Why lost"), required=False, max_length=200)
    visits = forms.MultipleChoiceField(label=_("Visits that realised it"), required=False,
                                       widget=forms.CheckboxSelectMultiple)
    expect = forms.CharField(required=False, max_length=12, widget=forms.HiddenInput())

    def __init__(self, *args, visits=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visits"].choices = [(str(v.pk), v.label) for v in visits]


class ForecastForm(PropertyChoice):
    start = forms.DateField(label=_("From month"), required=False, input_formats=MONTH_FORMATS, widget=MONTH)
    months = forms.IntegerField(label=_("Months"), required=False, min_value=1, max_value=FORECAST_MAX_MONTHS)

    def clean_start(self):
        value = _in_range(self, "start")
        return value.replace(day=1) if isinstance(value, dt.date) else value
