"""Create and edit guest files, and the quick new-guest form for check-in (R-2.7).

The forms only collect input: customers.services validates, normalises and saves, and
its field errors are put back on the form. Nothing is saved when anything is wrong.
"""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from yingke.core import permissions
from yingke.core.forms import add_service_errors
from yingke.core.roles import Role
from yingke.customers import services
from yingke.customers.forms import CustomerForm, QuickGuestForm
from yingke.customers.identity import normalize_mobile
from yingke.customers.models import Customer
from yingke.customers.views.detail import visible_customer

QUICK_PREF_FIELDS = {"category": "pref_category", "value": "pref_value"}


def _posted(request):
    """The submitted data; an empty POST is still a (bound, invalid) submission."""
    return request.POST if request.method == "POST" else None


def _require_creator(user):
    if not permissions.creatable_properties(user):
        raise PermissionDenied(_("Your role may not create guest files."))


def _editable_customer(request, pk) -> Customer:
    """The file to edit: 404 when not visible, 403 when visible but read-only (core.permissions)."""
    customer = visible_customer(request, pk)  # follows a merged-away id to the survivor
    permissions.require(request.user, permissions.EDIT, customer)
    return customer


def _check_all(form, customer, id_number):
    """The form has errors: also run the service's checks (without saving) so that every
    mistake shows at once instead of one round trip per field."""
    probe = copy.copy(customer)
    if not probe.customer_code:
        probe.customer_code = "-"  # generated on save
    try:
        services.normalise(probe, id_number)
    except ValidationError as e:
        for field, messages in e.message_dict.items():
            if field in form.fields and field not in form.errors:
                for message in messages:
                    form.add_error(field, message)


def _save(request, form, customer):
    """Run the service; on a ValidationError, put its messages on the form and roll back."""
    creating = customer.pk is None
    try:
        with transaction.atomic():
            tags = services.tags_from_names(customer.property, form.tag_list())
            services.save_customer(
                request.user, customer, id_number=form.id_number_value(services.UNCHANGED), tags=tags,
            )
    except ValidationError as e:
        if creating:
            customer.pk = None  # rolled back: still a new file
        add_service_errors(form, e, {"tags": "tag_names"})
        return False
    return True


def _form_page(request, form, customer):
    title = _("Edit %(name)s") % {"name": customer.name} if customer.pk else _("New customer")
    return render(request, "customers/form.html", {"form": form, "customer": customer, "title": title},
                  status=422 if form.is_bound and form.errors else 200)


@login_required
def customer_create(request):
    _require_creator(request.user)
    customer = Customer(kind=request.GET.get("kind") == "org" and Customer.Kind.ORGANISATION or Customer.Kind.PERSON)
    if request.user.role == Role.ACCOUNT_MANAGER:
        customer.owner = request.user  # an account manager's new file is theirs unless they choose the pool
    form = CustomerForm(_posted(request), instance=customer, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            if _save(request, form, form.instance):
                messages.success(request, _("The file of %(name)s was created.") % {"name": customer.name})
                return redirect("customers:detail", pk=customer.pk)
        else:
            _check_all(form, form.instance, form.cleaned_data.get("id_number", ""))
    return _form_page(request, form, customer)


@login_required
def customer_edit(request, pk):
    customer = _editable_customer(request, pk)
    form = CustomerForm(_posted(request), instance=customer, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            if _save(request, form, form.instance):
                messages.success(request, _("Changes saved."))
                return redirect("customers:detail", pk=customer.pk)
        else:
            _check_all(form, form.instance, form.cleaned_data.get("id_number") or services.UNCHANGED)
    if form.is_bound:
        customer.refresh_from_db(fields=["name"])  # the page title shows the name on file
    return _form_page(request, form, customer)


@login_required
def quick_create(request):
    _require_creator(request.user)
    form = QuickGuestForm(_posted(request), user=request.user)
    if request.method == "POST":
        valid = form.is_valid()
        data = form.cleaned_data
        customer = Customer(
            property=data.get("property") or request.user.properties.first(), kind=Customer.Kind.PERSON,
            name=data.get("name", ""), mobile=data.get("mobile", ""), gender=data.get("gender", ""),
            id_type=data.get("id_type", "") if data.get("id_number") else "",
        )
        if not valid:
            _check_all(form, customer, data.get("id_number", ""))
        elif _quick_save(request, form, customer, data):
            messages.success(request, _("New guest file %(code)s created for %(name)s.")
                             % {"code": customer.customer_code, "name": customer.name})
            return redirect("customers:detail", pk=customer.pk)
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "customers/quick.html", {"form": form, "title": _("Quick new guest")}, status=status)


def _quick_save(request, form, customer, data) -> bool:
    """File, preference and note in one transaction: all of them or nothing."""
    try:
        with transaction.atomic():
            services.save_customer(request.user, customer, id_number=data["id_number"])
            if data["pref_value"]:
                try:
                    services.add_preference(request.user, customer, data["pref_category"], data["pref_value"])
                except ValidationError as e:
                    raise ValidationError({QUICK_PREF_FIELDS.get(k, k): v for k, v in e.message_dict.items()}) \
                        from None
            if data["note"]:
                try:
                    services.add_note(request.user, customer, data["note"])
                except ValidationError as e:
                    raise ValidationError({"note": e.messages}) from None
    except ValidationError as e:
        customer.pk = None
        add_service_errors(form, e)
        return False
    return True


@login_required
def mobile_check(request):
    """While a new file is typed: files the user can see that already have this mobile (htmx)."""
    raw = request.GET.get("mobile", "")
    matches = []
    try:
        mobile = normalize_mobile(raw)
    except ValidationError:
        mobile = ""
    if mobile:
        matches = list(Customer.objects.visible_to(request.user).filter(mobile=mobile).order_by("id")[:3])
    return render(request, "customers/_mobile_check.html", {"matches": matches})
