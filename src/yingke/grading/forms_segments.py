"""Forms of the module, target and churn pages. They read input; grading.segments and
grading.churn decide and validate (their field errors are put back on these forms)."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from yingke.customers.modules import nature_values
from yingke.grading import churn, segments
from yingke.grading.models import LossReason

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BoundedDateField(forms.DateField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", _date_input())
        super().__init__(*args, **kwargs)

    def clean(self, value):
        day = super().clean(value)
        if day is not None and not EARLIEST <= day <= LATEST:
            raise forms.ValidationError(_("Choose a day from %(first)s to %(last)s.")
                                        % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()})
        return day


class ModuleForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20,
                           help_text=_("Letters, digits, - and _; used by imports and the API."))
    name = forms.CharField(label=_("Name"), max_length=50)
    occasions = forms.CharField(label=_("Typical occasions"), max_length=200, required=False,
                                help_text=_("Separate occasions with commas, e.g. 被宴请, 政务接待."))
    natures = forms.MultipleChoiceField(label=_("Suggested for"), required=False,
                                        widget=forms.CheckboxSelectMultiple,
                                        help_text=_("New files of these kinds are offered this module."))
    sort_order = forms.IntegerField(label=_("Order"), min_value=0, max_value=999, initial=0)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True,
                                   help_text=_("A module out of use is no longer offered for files; files "
                                               "keep it."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["natures"].choices = nature_values()


class TargetForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=[*segments.PERIODS.items(), ("custom", _("From – to"))],
                               initial="month")
    start = BoundedDateField(label=_("From"), help_text=_("A day of the month, quarter or year: the target "
                                                          "covers the whole period."))
    end = BoundedDateField(label=_("To"), required=False, help_text=_("Only for “from – to”."))
    customers = forms.IntegerField(label=_("Effective customers"), min_value=0, max_value=segments.MAX_COUNT,
                                   initial=0)
    visits = forms.IntegerField(label=_("Visits"), min_value=0, max_value=segments.MAX_COUNT, initial=0)
    amount = forms.DecimalField(label=_("Revenue"), min_value=0, max_value=segments.MAX_AMOUNT, decimal_places=2,
                                max_digits=14, initial=0)

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        if data.get("period") != "custom":
            data.pop("end", None)
        return data


class ApplySuggestionsForm(forms.Form):
    confirm = forms.BooleanField(label=_("Yes, give the suggested module to every file without one"),
                                 error_messages={"required": _("Tick the box to confirm.")})


class ReportForm(forms.Form):
    """Module contribution report: a property, a period kind and a day inside the period."""

    property = forms.ModelChoiceField(label=_("Property"), queryset=None, to_field_name="code", required=False,
                                      empty_label=None)
    period = forms.ChoiceField(label=_("Period"), choices=list(segments.PERIODS.items()), required=False)
    start = BoundedDateField(label=_("Period containing"), required=False)

    def __init__(self, *args, properties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["property"].queryset = properties


class ChurnReportForm(forms.Form):
    property = forms.ModelChoiceField(label=_("Property"), queryset=None, to_field_name="code", required=False,
                                      empty_label=None)
    start = BoundedDateField(label=_("Lost from"), required=False)
    end = BoundedDateField(label=_("to"), required=False)

    def __init__(self, *args, properties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["property"].queryset = properties

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end of the period is before its start."))
        return data


class LossFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All")), *churn.STATES.items()])
    start = BoundedDateField(label=_("Lost from"), required=False)
    end = BoundedDateField(label=_("to"), required=False)
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=None, required=False, empty_label=_("All"))
    owner = forms.ModelChoiceField(label=_("Account manager"), queryset=None, required=False,
                                   empty_label=_("All"))
    module = forms.ChoiceField(label=_("Module"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        from yingke.customers.models import Module

        props = user.property_ids()
        several = len(props) > 1
        self.fields["reason"].queryset = LossReason.objects.filter(property_id__in=props).select_related(
            "property").order_by("property__code", "sort_order", "id")
        if several:  # the same reason names in each property: say which
            self.fields["reason"].label_from_instance = lambda r: f"{r.property.code} · {r.name}"
        visible = churn.visible_losses(user)
        self.fields["owner"].queryset = get_user_model().objects.filter(
            pk__in=visible.filter(owner__isnull=False).values("owner_id")).order_by("display_name", "username")
        self.fields["owner"].label_from_instance = lambda u: u.label
        modules = Module.objects.filter(property_id__in=props).select_related("property").order_by(
            "property__code", "sort_order", "id")
        self.fields["module"].choices = [("", _("All")), ("none", _("No module")), *(
            (str(m.pk), f"{m.property.code} · {m.name}" if several else m.name) for m in modules)]

    def clean_module(self):
        value = self.cleaned_data.get("module")
        if value in ("", None):
            return None
        if value == "none":
            return "none"
        return int(value)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end of the period is before its start."))
        return data


class ExplainForm(forms.Form):
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=None, empty_label="—")
    note = forms.CharField(label=_("Details"), required=False, max_length=churn.NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 2, "maxlength": churn.NOTE_MAX}),
                           help_text=_("Required when the reason is “other”."))

    def __init__(self, *args, loss, **kwargs):
        kwargs.setdefault("auto_id", f"loss{loss.pk}_%s")
        super().__init__(*args, **kwargs)
        query = LossReason.objects.filter(property_id=loss.property_id, is_active=True)
        if loss.reason_id:
            query = query | LossReason.objects.filter(pk=loss.reason_id)
        self.fields["reason"].queryset = query.order_by("sort_order", "id")
        if loss.reason_id and not self.is_bound:
            self.initial.update(reason=loss.reason_id, note=loss.note)


class ReasonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=churn.NAME_MAX)


class ReasonEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=churn.NAME_MAX)
    sort_order = forms.IntegerField(label=_("Order"), min_value=0, max_value=999)
    is_active = forms.BooleanField(label=_("In use"), required=False)
