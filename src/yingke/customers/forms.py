"""Forms of the guest-file UI. They collect input; customers.services validates and saves."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yingke.core import permissions
from yingke.core.models import Outlet, Property, User
from yingke.core.services import clean_text
from yingke.customers.models import Customer, Note, Preference, SpecialDate

PERSON_ONLY = [
    "gender", "birth_date", "nationality", "id_type", "employer", "job_title", "marital_status",
    "temperament", "hobbies", "habits", "religion", "taboos",
]
ORG_ONLY = [
    "nature", "business", "legal_representative", "main_needs", "agreed_room_rate", "discount_rate",
    "payment_method", "credit_terms",
]



def owner_choices(user, properties, keep=None):
    """Staff `user` may make responsible for a file of any of `properties` (permissions.assignable_owners),
    plus `keep` (the current owner, so that an unchanged form stays valid)."""
    ids = {keep} if keep else set()
    for prop in properties:
        ids.update(permissions.assignable_owners(user, prop).values_list("pk", flat=True))
    return User.objects.filter(pk__in=ids).order_by("display_name", "username")


def grouped_categories(blank=True):
    room = [(v, label) for v, label in Preference.Category.choices if v in Preference.ROOM]
    dining = [(v, label) for v, label in Preference.Category.choices if v not in Preference.ROOM]
    choices = [(_("Room"), room), (_("Dining"), dining)]
    return ([("", "—")] if blank else []) + choices


class CustomerForm(forms.ModelForm):
    id_number = forms.CharField(
        label=_("ID number"), required=False, max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    clear_id_number = forms.BooleanField(label=_("Remove the ID number on file"), required=False)
    tag_names = forms.CharField(
        label=_("Tags"), required=False, max_length=300,
        help_text=_("Separate tags with commas, e.g. VIP, 商务."),
    )

    class Meta:
        model = Customer
        fields = [
            "property", "kind", "customer_code", "name", "mobile", "email", "card_no", "owner", "module",
            "gender", "birth_date", "nationality", "id_type", "employer", "job_title", "marital_status", "address",
            "area", "nature", "business", "legal_representative", "main_needs", "agreed_room_rate", "discount_rate",
            "payment_method", "credit_terms",
            "temperament", "hobbies", "habits", "religion", "taboos", "special_requests",
        ]
        widgets = {
            "kind": forms.RadioSelect,
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "main_needs": forms.Textarea(attrs={"rows": 3}),
            "special_requests": forms.Textarea(attrs={"rows": 3}),
            "mobile": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        customer = self.instance
        props = user.properties.all()
        if customer.pk or len(user.property_ids()) <= 1:
            del self.fields["property"]
            if not customer.pk and user.property_ids():
                customer.property_id = user.property_ids()[0]
        else:
            self.fields["property"].queryset = props
            self.fields["property"].empty_label = None
        self.fields["name"].label = _("Customer name")
        self.fields["customer_code"].required = False
        self.fields["customer_code"].help_text = _("Leave empty to have a code generated.")
        self.fields["area"].help_text = _("District or business area, e.g. 天河区; files are matched with account "
                                          "managers by area.")
        # A user of several properties chooses the property in this form: until then the
        # owners of all of them are offered (the clean() below checks the pair).
        owners = owner_choices(user, [customer.property] if customer.property_id else props,
                               keep=customer.owner_id)
        if not owners.exists():
            del self.fields["owner"]  # front desk and supervisors: new files go to the shared pool
        else:
            self.fields["owner"].queryset = owners
            self.fields["owner"].empty_label = _("Unassigned (shared pool)")
        self.fields["kind"].choices = Customer.Kind.choices
        self._module_field(customer, props)
        if customer.pk:
            self.initial["tag_names"] = ", ".join(t.name for t in customer.tags.all())
            if customer.id_number_masked:
                self.fields["id_number"].help_text = _(
                    "On file: %(masked)s. Leave empty to keep it; type a new number to replace it."
                ) % {"masked": customer.id_number_masked}
        else:
            del self.fields["clear_id_number"]
            self.initial.setdefault("id_type", Customer.IdType.RESIDENT)

    def _module_field(self, customer, props):
        """R-5.1: the modules in use of the file's property (of the user's properties for a new
        file of a user of several), plus the file's own; a new file starts with the suggested one."""
        from yingke.customers.models import Module
        from yingke.customers.modules import suggest_module

        field = self.fields["module"]
        prop_ids = [customer.property_id] if customer.property_id else [p.pk for p in props]
        query = Q(property_id__in=prop_ids, is_active=True)
        if customer.module_id:
            query |= Q(pk=customer.module_id)
        field.queryset = Module.objects.filter(query).select_related("property").order_by(
            "property__code", "sort_order", "id")
        if len(prop_ids) > 1:
            field.label_from_instance = lambda m: f"{m.property.code} · {m.name}"
        field.empty_label = _("No module")
        field.help_text = _("The segment this customer belongs to (government, private enterprise, …).")
        if not customer.pk and not customer.module_id:
            suggested = suggest_module(customer)
            if suggested is not None and not self.initial.get("module"):
                self.initial["module"] = suggested.pk

    def clean_area(self):
        """The area (R-6.2, matched by the assignment rules): one line, spaces collapsed."""
        if self.add_prefix("area") not in self.data:
            return self.instance.area  # a form page that does not show the area leaves it as it is
        errors: dict = {}
        text = clean_text(self.cleaned_data.get("area"), "area", Customer._meta.get_field("area").max_length,
                          required=False, errors=errors)
        if errors:
            raise ValidationError(errors["area"])
        return text

    def clean(self):
        data = super().clean()
        if "module" in self.fields and self.add_prefix("module") not in self.data:
            # A form page that does not show the module leaves it as it is.
            data["module"] = self.instance.module
        # Fields of the other kind of customer are hidden in the form; leave them untouched.
        drop = ORG_ONLY if data.get("kind") != Customer.Kind.ORGANISATION else PERSON_ONLY
        for name in drop:
            data.pop(name, None)
        return data

    def id_number_value(self, unchanged):
        if self.cleaned_data.get("clear_id_number"):
            return ""
        return self.cleaned_data.get("id_number") or unchanged

    def tag_list(self) -> list[str]:
        raw = self.cleaned_data.get("tag_names") or ""
        return [t.strip() for t in raw.replace("，", ",").replace("、", ",").split(",") if t.strip()]


class QuickGuestForm(forms.Form):
    """A first-time guest at check-in or seating (R-2.7): one screen, under a minute."""

    property = forms.ModelChoiceField(label=_("Property"), queryset=None, empty_label=None)
    name = forms.CharField(label=_("Name"), max_length=100,
                           widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))
    mobile = forms.CharField(label=_("Mobile"), max_length=30, required=False,
                             widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    gender = forms.ChoiceField(label=_("Gender"), required=False, widget=forms.RadioSelect,
                               choices=[("", _("Not given"))] + list(Customer.Gender.choices))
    id_type = forms.ChoiceField(label=_("ID type"), required=False, choices=Customer.IdType.choices,
                                initial=Customer.IdType.RESIDENT)
    id_number = forms.CharField(label=_("ID number"), max_length=40, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    pref_category = forms.ChoiceField(label=_("Preference"), required=False)
    pref_value = forms.CharField(label=_("Preference details"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if len(user.property_ids()) <= 1:
            del self.fields["property"]
        else:
            self.fields["property"].queryset = user.properties.all()
        self.fields["pref_category"].choices = grouped_categories()

    def clean(self):
        data = super().clean()
        if data.get("pref_value") and not data.get("pref_category"):
            self.add_error("pref_category", _("Choose what the preference is about."))
        if data.get("pref_category") and not data.get("pref_value"):
            self.add_error("pref_value", _("Describe the preference."))
        return data


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = Preference
        fields = ["category", "value"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "pref_%s")  # several forms share the 360 page: distinct element ids
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = grouped_categories(blank=False)
        self.fields["value"].widget.attrs["placeholder"] = _("e.g. low pillow, no spicy food")


class SpecialDateForm(forms.ModelForm):
    class Meta:
        model = SpecialDate
        fields = ["kind", "label", "calendar", "month", "day", "leap_month", "year", "remind_days"]
        widgets = {
            "month": forms.NumberInput(attrs={"min": 1, "max": 12}),
            "day": forms.NumberInput(attrs={"min": 1, "max": 31}),
            "year": forms.NumberInput(attrs={"min": 1900, "placeholder": _("optional")}),
            "remind_days": forms.NumberInput(attrs={"min": 0, "max": 60}),
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "date_%s")
        super().__init__(*args, **kwargs)


class NoteForm(forms.ModelForm):
    class Meta:
        model = Note
        fields = ["kind", "text", "outlet"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, customer, **kwargs):
        kwargs.setdefault("auto_id", "note_%s")
        super().__init__(*args, **kwargs)
        self.fields["outlet"].queryset = Outlet.objects.filter(property_id=customer.property_id)
        self.fields["outlet"].empty_label = _("(no outlet)")
        self.fields["text"].widget.attrs["placeholder"] = _("What did the guest say or need?")


class ContactForm(forms.Form):
    """Link an existing person's file to an organisation as a contact person."""

    person = forms.CharField(label=_("Contact person"), max_length=40,
                             help_text=_("Customer code or mobile of the person's own file."))
    title = forms.CharField(label=_("Position"), max_length=50, required=False)
    is_primary = forms.BooleanField(label=_("Main contact"), required=False)

    def __init__(self, *args, organisation, user, **kwargs):
        kwargs.setdefault("auto_id", "contact_%s")
        super().__init__(*args, **kwargs)
        self.organisation, self.user = organisation, user

    def clean_person(self):
        from yingke.customers.identity import normalize_mobile

        raw = self.cleaned_data["person"].strip()
        lookup = Q(customer_code=raw.upper())
        try:
            mobile = normalize_mobile(raw)
        except ValidationError:
            mobile = ""
        if mobile:
            lookup |= Q(mobile=mobile)
        people = Customer.objects.visible_to(self.user).filter(
            lookup, property_id=self.organisation.property_id, kind=Customer.Kind.PERSON
        )[:2]
        people = list(people)
        if not people:
            raise ValidationError(_("No person's file with this code or mobile was found in this property."))
        if len(people) > 1:
            raise ValidationError(_("Several files match; use the customer code."))
        return people[0]


class GroupLinkForm(forms.Form):
    """Link a file with the same customer's file in another property (R-1.1)."""

    property = forms.ModelChoiceField(queryset=Property.objects.none(), label=_("Property"))
    customer_code = forms.CharField(label=_("Customer code there"), max_length=30)

    def __init__(self, *args, properties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["property"].queryset = Property.objects.filter(pk__in=[p.pk for p in properties])
