"""Additions to a file from the 360 page (htmx): preferences, special dates, notes, contacts.

Any member of staff who can see a file may annotate it (R-2.7: any department adds notes
and preferences during the stay); changing or removing an annotation is for those who may
edit the file and for whoever recorded it (customers.services asks core.permissions).
Each endpoint answers with the re-rendered section
and triggers `customer-changed` so that the history section refreshes itself.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yingke.core import permissions
from yingke.core.forms import add_service_errors
from yingke.customers import services
from yingke.customers.forms import (
    ContactForm,
    GroupLinkForm,
    NoteForm,
    PreferenceForm,
    SpecialDateForm,
)
from yingke.customers.models import ContactLink, Customer, Preference, SpecialDate
from yingke.customers.views.detail import (
    contacts_context,
    dates_context,
    group_context,
    history_context,
    notes_context,
    other_properties,
    preferences_context,
    visible_customer,
)


def _editable(request, pk):
    """The file, when the user may change its regular information (contacts, group account);
    404 when not visible, 403 when read-only (core.permissions decides)."""
    customer = visible_customer(request, pk)
    permissions.require(request.user, permissions.EDIT, customer)
    return customer


def _answer(request, customer, template, context, ok, anchor):
    """The section for htmx; a redirect back to the page otherwise."""
    if request.htmx:
        response = render(request, template, context, status=200 if ok else 422)
        if ok:
            response["HX-Trigger"] = "customer-changed"
        return response
    if not ok:
        messages.error(request, _("The change was not saved; please check the form."))
    return redirect(reverse("customers:detail", args=[customer.pk]) + f"#{anchor}")


def _submit(form, action):
    """Validate `form`, then run `action(cleaned_data)`; service errors go onto the form.

    Returns (ok, form): the form is None after success so that the section shows an empty one.
    """
    if form.is_valid():
        try:
            action(form.cleaned_data)
            return True, None
        except ValidationError as e:
            add_service_errors(form, e)
    return False, form


@login_required
@require_POST
def preference_add(request, pk):
    customer = visible_customer(request, pk)
    ok, form = _submit(PreferenceForm(request.POST), lambda d: services.add_preference(
        request.user, customer, d["category"], d["value"]))
    return _answer(request, customer, "customers/_preferences.html", preferences_context(request, customer, form), ok,
                   "preferences")


@login_required
@require_POST
def preference_delete(request, pk, item):
    customer = visible_customer(request, pk)
    pref = get_object_or_404(Preference.objects.visible_to(request.user), pk=item, customer=customer)
    services.delete_preference(request.user, pref)
    return _answer(request, customer, "customers/_preferences.html", preferences_context(request, customer), True,
                   "preferences")


@login_required
@require_POST
def date_add(request, pk):
    customer = visible_customer(request, pk)
    form = SpecialDateForm(request.POST, instance=SpecialDate(customer=customer))
    ok, form = _submit(form, lambda d: services.save_special_date(request.user, form.instance))
    return _answer(request, customer, "customers/_dates.html", dates_context(request, customer, form), ok, "dates")


@login_required
@require_POST
def date_delete(request, pk, item):
    customer = visible_customer(request, pk)
    spec = get_object_or_404(SpecialDate.objects.visible_to(request.user), pk=item, customer=customer)
    services.delete_special_date(request.user, spec)
    return _answer(request, customer, "customers/_dates.html", dates_context(request, customer), True, "dates")


@login_required
@require_POST
def note_add(request, pk):
    customer = visible_customer(request, pk)
    ok, form = _submit(NoteForm(request.POST, customer=customer), lambda d: services.add_note(
        request.user, customer, d["text"], d["kind"], d.get("outlet")))
    return _answer(request, customer, "customers/_notes.html", notes_context(customer, form), ok, "notes")


@login_required
@require_POST
def contact_add(request, pk):
    customer = _editable(request, pk)
    ok, form = _submit(ContactForm(request.POST, organisation=customer, user=request.user),
                       lambda d: services.link_contact(request.user, customer, d["person"], d["title"], d["is_primary"]))
    return _answer(request, customer, "customers/_contacts.html", contacts_context(request, customer, form), ok,
                   "contacts")


@login_required
@require_POST
def contact_delete(request, pk, item):
    customer = _editable(request, pk)
    link = get_object_or_404(ContactLink.objects.visible_to(request.user), pk=item, organisation=customer)
    services.unlink_contact(request.user, link)
    return _answer(request, customer, "customers/_contacts.html", contacts_context(request, customer), True,
                   "contacts")


@login_required
def history_section(request, pk):
    customer = visible_customer(request, pk)
    return render(request, "customers/_history.html", history_context(request, customer))


def _group_file(request, customer, data):
    """The other file, found among the files this user may see; a clear error otherwise."""
    other = (Customer.objects.editable_by(request.user)
             .filter(property=data["property"], customer_code=data["customer_code"].strip().upper()).first())
    if other is None:
        raise ValidationError({"customer_code": [_("No file with this code in that property that you may open.")]})
    return services.link_group_files(request.user, customer, other)


@login_required
@require_POST
def group_link(request, pk):
    customer = _editable(request, pk)
    form = GroupLinkForm(request.POST, properties=other_properties(request.user, customer))
    ok, form = _submit(form, lambda d: _group_file(request, customer, d))
    customer.refresh_from_db()
    return _answer(request, customer, "customers/_group.html", group_context(request, customer, form), ok, "group")


@login_required
@require_POST
def group_unlink(request, pk):
    customer = _editable(request, pk)
    services.unlink_group_file(request.user, customer)
    customer.refresh_from_db()
    return _answer(request, customer, "customers/_group.html", group_context(request, customer), True, "group")
