"""Forms of the leads pages (R-7.1, R-7.3). They only collect what was typed; the services
(tracking.services) check it and their errors are put back on these fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yingke.customers.models import Customer
from yingke.tracking.models import Channel, Outcome, Source, Stage

OPEN_STAGES = [(v, label) for v, label in Stage.choices if v != Stage.CUSTOMER]


class LeadForm(forms.Form):
    property = forms.ChoiceField(label=_("Property"), choices=())
    kind = forms.ChoiceField(label=_("Type"), choices=Customer.Kind.choices, initial=Customer.Kind.PERSON)
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=30, required=False,
                             widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    employer = forms.CharField(label=_("Employer"), max_length=100, required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=50, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False,
                            widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    needs = forms.CharField(label=_("Needs and notes"), max_length=2000, required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))
    source = forms.ChoiceField(label=_("Source"), choices=[("", "—"), *Source.choices], required=False)
    source_detail = forms.CharField(label=_("Campaign, event or reference"), max_length=100, required=False)
    referrer = forms.CharField(
        label=_("Referred by"), max_length=40, required=False,
        help_text=_("For a referral: the customer code or the mobile of the guest who referred them."))
    informant = forms.CharField(label=_("Informant"), max_length=50, required=False,
                                help_text=_("For a delegated informant: who passed the lead on."))
    stage = forms.TypedChoiceField(label=_("Stage"), choices=OPEN_STAGES, coerce=int, initial=Stage.TARGET)
    owner = forms.ChoiceField(label=_("Account manager"), choices=(), required=False)

    def __init__(self, *args, properties=(), owners=(), new=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["property"].choices = [(p.code, str(p)) for p in properties]
        self.fields["owner"].choices = [("", _("Unassigned"))] + [(str(u.pk), u.label) for u in owners]
        if not new:
            del self.fields["stage"]
            del self.fields["property"]


class FollowUpForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices, initial=Outcome.REACHED)
    occurred_at = forms.DateTimeField(label=_("When"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                 format="%Y-%m-%dT%H:%M"),
                                      help_text=_("Empty: now."))
    summary = forms.CharField(label=_("What was said"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)
    next_on = forms.DateField(label=_("Next step on"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                              help_text=_("A date makes a follow-up task due that day."))

    def service_data(self) -> dict:
        d = self.cleaned_data
        return {"channel": d["channel"], "outcome": d["outcome"], "summary": d.get("summary") or "",
                "occurred_at": d.get("occurred_at"), "next_step": d.get("next_step") or "",
                "next_on": d.get("next_on")}


class DropForm(forms.Form):
    reason = forms.CharField(label=_("Why drop this lead?"), max_length=200, required=False)
