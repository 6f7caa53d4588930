"""Configuration pages under /settings/: properties, outlets, staff (R-1.1, R-1.2, R-1.3).

Thin adapters over core.services, which decides who may do what (a role that configures
nothing: 403; a row outside the actor's properties: 404), validates, saves and audits.
The pages show no customer data: only how many files a member of staff owns.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yingke.core import permissions, services
from yingke.core.config_forms import (
    OutletForm,
    PasswordForm,
    PropertyForm,
    StaffFilterForm,
    StaffForm,
)
from yingke.core.forms import run_service
from yingke.core.models import Outlet, Property, User

STAFF_PAGE = 25


def _posted(request):
    return request.POST if request.method == "POST" else None


def _page(request, template, context, form=None):
    status = 422 if form is not None and form.is_bound and form.errors else 200
    return render(request, template, context, status=status)


def _check_all(form, fn, *args, field_map=None, **kwargs):
    """The form has errors: also run the service's checks, always rolled back, so that every
    mistake shows at once (a taken code as well as a blank name)."""
    field_map = field_map or {}
    data = {}
    for name in kwargs:
        source = field_map.get(name, name)
        data[name] = form.cleaned_data[source] if source in form.cleaned_data else form.data.get(source)
    try:
        with transaction.atomic():
            fn(*args, **data)
            transaction.set_rollback(True)
    except (ValidationError, PermissionDenied) as e:
        if isinstance(e, ValidationError) and hasattr(e, "error_dict"):
            for field, messages in e.message_dict.items():
                name = field_map.get(field, field)
                if name in form.fields and name not in form.errors:
                    for message in messages:
                        form.add_error(name, message)


# ---- overview and properties ----------------------------------------------------------

@login_required
def index(request):
    props = (services.configurable_properties(request.user)
             .annotate(n_outlets=Count("outlets", distinct=True),
                       n_staff=Count("staff", filter=Q(staff__is_active=True), distinct=True),
                       n_tags=Count("tags", distinct=True))
             .order_by("code"))
    return render(request, "core/config/index.html", {
        "title": _("Settings"), "properties": props,
        "may_create_property": permissions.may_create_property(request.user),
    })


@login_required
def property_create(request):
    services.configurable_properties(request.user)  # 403 for roles that configure nothing
    if not permissions.may_create_property(request.user):
        raise PermissionDenied(_("Only an administrator of the group may add properties."))
    form = PropertyForm(_posted(request), creating=True)
    if request.method == "POST" and not form.is_valid():
        _check_all(form, services.create_property, request.user, **dict.fromkeys(form.fields))
    elif request.method == "POST":
        prop = run_service(form, services.create_property, request.user, **form.cleaned_data)
        if prop is not None:
            messages.success(request, _("Property %(name)s was added; now add its outlets and staff.")
                             % {"name": prop.name})
            return redirect("config:property", pk=prop.pk)
    return _page(request, "core/config/property_form.html", {"title": _("New property"), "form": form}, form)


@login_required
def property_detail(request, pk):
    prop = services.configurable_property(request.user, pk=pk)
    initial = {"name": prop.name, "kind": prop.kind, "time_zone": prop.time_zone,
               "outlets_strict": prop.outlets_strict}
    form = PropertyForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        if run_service(form, services.update_property, request.user, prop, **form.cleaned_data) is not None:
            messages.success(request, _("Changes saved."))
            return redirect("config:property", pk=prop.pk)
        prop.refresh_from_db()
    outlets = list(Outlet.objects.filter(property=prop).order_by("code"))
    staff = prop.staff.filter(is_active=True).count()
    return _page(request, "core/config/property.html", {
        "title": prop.name, "property": prop, "form": form, "outlets": outlets, "staff_count": staff,
    }, form)


# ---- outlets -------------------------------------------------------------------------

@login_required
def outlet_create(request, pk):
    prop = services.configurable_property(request.user, pk=pk)
    form = OutletForm(_posted(request))
    if request.method == "POST" and not form.is_valid():
        _check_all(form, services.create_outlet, request.user, prop, **dict.fromkeys(form.fields))
    elif request.method == "POST":
        outlet = run_service(form, services.create_outlet, request.user, prop, **form.cleaned_data)
        if outlet is not None:
            messages.success(request, _("Outlet %(name)s was added.") % {"name": outlet.name})
            return redirect("config:property", pk=prop.pk)
    return _page(request, "core/config/outlet_form.html",
                 {"title": _("New outlet"), "form": form, "property": prop}, form)


@login_required
def outlet_edit(request, pk):
    outlet = services.configurable_outlet(request.user, pk)
    initial = {"code": outlet.code, "name": outlet.name, "kind": outlet.kind, "capacity": outlet.capacity}
    form = OutletForm(_posted(request), initial=initial)
    if request.method == "POST" and not form.is_valid():
        _check_all(form, services.update_outlet, request.user, outlet, **dict.fromkeys(form.fields))
        outlet.refresh_from_db()
    elif request.method == "POST":
        if run_service(form, services.update_outlet, request.user, outlet, **form.cleaned_data) is not None:
            messages.success(request, _("Changes saved."))
            return redirect("config:property", pk=outlet.property_id)
        outlet.refresh_from_db()
    return _page(request, "core/config/outlet_form.html", {
        "title": _("Outlet %(name)s") % {"name": outlet.name}, "form": form, "property": outlet.property,
        "outlet": outlet,
    }, form)


# ---- staff ---------------------------------------------------------------------------

def _staff_rows(qs):
    return (qs.select_related("manager").annotate(n_owned=Count("owned_customers", distinct=True),
                                                  n_team=Count("team", filter=Q(team__is_active=True),
                                                               distinct=True))
            .prefetch_related(Prefetch("properties", queryset=Property.objects.order_by("code"))))


@login_required
def staff_list(request):
    staff = services.configurable_staff(request.user)
    form = StaffFilterForm(request.GET or None, actor=request.user)
    qs = form.filter(staff) if form.is_bound else staff.filter(is_active=True)
    paginator = Paginator(_staff_rows(qs).order_by("username"), STAFF_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "core/config/staff_list.html", {
        "title": _("Staff"), "form": form, "page": page, "query": query.urlencode(),
        "several_properties": services.configurable_properties(request.user).count() > 1,
    })


def _staff_form_data(form) -> dict:
    data = dict(form.cleaned_data)
    data["properties"] = list(data["properties"])
    data.pop("password2", None)
    if "password1" in data:
        data["password"] = data.pop("password1")
    return data


STAFF_FIELDS = {"password": "password1"}


@login_required
def staff_create(request):
    services.configurable_staff(request.user)  # 403 for roles that configure nothing
    form = StaffForm(_posted(request), actor=request.user, creating=True)
    if request.method == "POST" and not form.is_valid():
        _check_all(form, services.create_staff, request.user, field_map=STAFF_FIELDS,
                   **dict.fromkeys(["username", "display_name", "role", "properties", "manager", "password"]))
    elif request.method == "POST":
        member = run_service(form, services.create_staff, request.user, field_map=STAFF_FIELDS, **_staff_form_data(form))
        if member is not None:
            messages.success(request, _("%(name)s was added; tell them their user name and password.")
                             % {"name": member.label})
            return redirect("config:staff_edit", pk=member.pk)
    return _page(request, "core/config/staff_form.html", {"title": _("New member of staff"), "form": form}, form)


@login_required
def staff_edit(request, pk):
    member = services.configurable_member(request.user, pk)
    allowed = {p.pk for p in services.configurable_properties(request.user)}
    current = list(member.properties.order_by("code"))
    initial = {"username": member.username, "display_name": member.display_name, "role": member.role,
               "properties": [p for p in current if p.pk in allowed], "manager": member.manager}
    form = StaffForm(_posted(request), actor=request.user, creating=False, member=member, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = _staff_form_data(form)
        if member.pk == request.user.pk:  # own account: only what one may change about oneself
            data = {k: v for k, v in data.items() if k in ("username", "display_name")}
        if run_service(form, services.update_staff, request.user, member, **data) is not None:
            messages.success(request, _("Changes saved."))
            return redirect("config:staff_edit", pk=member.pk)
        member.refresh_from_db()
    row = _staff_rows(User.objects.filter(pk=member.pk)).get()
    refusal = services.refusal(request.user, member, whole_account=False)
    if refusal:  # shown read-only
        for field in form.fields.values():
            field.disabled = True
    return _page(request, "core/config/staff_form.html", {
        "title": member.label, "form": form, "member": row, "is_self": member.pk == request.user.pk,
        "other_properties": [p for p in current if p.pk not in allowed],
        "refusal": refusal,
        "account_refusal": None if member.pk == request.user.pk else services.refusal(request.user, member),
    }, form)


@login_required
@require_POST
def staff_active(request, pk):
    member = services.configurable_member(request.user, pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_active(request.user, member, active)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        if active:
            messages.success(request, _("%(name)s was reactivated and can log in again.") % {"name": member.label})
        else:
            messages.success(request, _("%(name)s was deactivated: they can no longer log in or use API keys.")
                             % {"name": member.label})
    return redirect("config:staff_edit", pk=member.pk)


@login_required
def staff_password(request, pk):
    member = services.require_password_reset(request.user, services.configurable_member(request.user, pk))
    form = PasswordForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        done = run_service(form, lambda: services.reset_password(request.user, member, form.cleaned_data["password1"])
                    or True, field_map=STAFF_FIELDS)
        if done:
            messages.success(request, _("The password of %(name)s was changed; give them the new one in "
                                        "person.") % {"name": member.label})
            return redirect("config:staff_edit", pk=member.pk)
    return _page(request, "core/config/password_form.html",
                 {"title": _("New password for %(name)s") % {"name": member.label}, "form": form,
                  "member": member}, form)
