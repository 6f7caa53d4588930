"""Forms of the configuration pages. They only collect input: core.services validates,
decides and saves; its field messages are put back on the form."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yingke.core import permissions, services
from yingke.core.models import Outlet, Property, User
from yingke.core.roles import Role


def _tz_choices():
    zones = sorted(services.time_zones())
    common = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo"]
    return [(_("Common"), [(z, z) for z in common]), (_("All time zones"), [(z, z) for z in zones])]


class PropertyForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("Short code used by imports and the "
                                                                       "command line, e.g. H1; set once."))
    name = forms.CharField(label=pgettext_lazy("of a thing", "Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Property.Kind.choices)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=_tz_choices, initial="Asia/Shanghai",
                                  help_text=_("Dates of visits and reminders follow the property's local time."))
    outlets_strict = forms.BooleanField(label=Property._meta.get_field("outlets_strict").verbose_name, required=False,
                                        help_text=Property._meta.get_field("outlets_strict").help_text)

    def __init__(self, *args, creating=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["code"]
        else:
            del self.fields["outlets_strict"]


class OutletForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("Letters, digits, - or _, e.g. CN."))
    name = forms.CharField(label=pgettext_lazy("of a thing", "Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Outlet.Kind.choices)
    capacity = forms.IntegerField(label=_("Tables or rooms"), min_value=0, max_value=services.MAX_CAPACITY,
                                  initial=0, help_text=_("Tables for a restaurant, banquet hall or bar; rooms "
                                                         "for the rooms outlet."))


def _property_choices(actor):
    return services.configurable_properties(actor).order_by("code")


def _role_choices(actor):
    may_admin = permissions.is_system(actor) or actor.is_superuser or actor.role == Role.ADMIN
    return [(v, label) for v, label in Role.choices if may_admin or v != Role.ADMIN]


class StaffForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150,
                               help_text=_("For logging in: letters, digits and @ . + - _"),
                               widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    display_name = forms.CharField(label=_("Display name"), max_length=50, required=False,
                                   help_text=_("The name colleagues see, e.g. 王丽."))
    role = forms.ChoiceField(label=_("Role"))
    properties = forms.ModelMultipleChoiceField(label=_("Properties"), queryset=Property.objects.none(),
                                                widget=forms.CheckboxSelectMultiple)
    manager = forms.ModelChoiceField(label=_("Sales manager"), queryset=User.objects.none(), required=False,
                                     empty_label="—", help_text=_("For account managers: whom they report to."))
    password1 = forms.CharField(label=_("Password"), max_length=128, strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=_("At least 10 characters, not a common password, not like the user "
                                            "name."))
    password2 = forms.CharField(label=_("Password (again)"), max_length=128, strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, actor, creating, member=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = ([("", "—")] if creating else []) + _role_choices(actor)
        if member is not None and member.role not in dict(self.fields["role"].choices):
            self.fields["role"].choices = list(Role.choices)  # shown as it is; the service refuses a change
        self.fields["properties"].queryset = _property_choices(actor)
        if creating and len(self.fields["properties"].queryset) == 1:
            self.initial.setdefault("properties", list(self.fields["properties"].queryset))
        staff = services.configurable_staff(actor).filter(role=Role.SALES_MANAGER, is_active=True)
        if member is not None:
            staff = staff.exclude(pk=member.pk)
        self.fields["manager"].queryset = staff.order_by("display_name", "username")
        self.fields["manager"].label_from_instance = lambda u: f"{u.label} ({u.username})"
        if not creating:
            del self.fields["password1"], self.fields["password2"]
        if member is not None and member.pk == getattr(actor, "pk", None):
            for name in ("role", "properties", "manager"):  # ask another administrator
                self.fields[name].disabled = True

    def clean(self):
        data = super().clean()
        if "password1" in self.fields and data.get("password1") and data.get("password2") is not None \
                and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data


class PasswordForm(forms.Form):
    password1 = StaffForm.base_fields["password1"]
    password2 = StaffForm.base_fields["password2"]

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") is not None and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data


class StaffFilterForm(forms.Form):
    STATUS = [("active", _("Active")), ("inactive", _("Deactivated")), ("all", _("All"))]

    q = forms.CharField(label=_("Name"), max_length=50, required=False)
    property = forms.ModelChoiceField(label=_("Property"), queryset=Property.objects.none(), required=False,
                                      empty_label=_("All"), to_field_name="code")
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", _("All"))] + list(Role.choices))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["property"].queryset = _property_choices(actor)

    def filter(self, qs):
        if not self.is_valid():
            return qs.filter(is_active=True)
        data = self.cleaned_data
        if data.get("q"):
            q = data["q"].strip()
            qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
        if data.get("property"):
            qs = qs.filter(properties=data["property"])
        if data.get("role"):
            qs = qs.filter(role=data["role"])
        status = data.get("status") or "active"
        if status != "all":
            qs = qs.filter(is_active=status == "active")
        return qs

    def has_filters(self):
        return self.is_bound and any(self.data.get(k) for k in ("q", "property", "role", "status"))
