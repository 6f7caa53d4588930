"""The customer 360 page (客史档案): every section of one guest file on one screen."""

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.text import capfirst

from yingke.core import permissions
from yingke.customers import masking
from yingke.customers import merge as merging
from yingke.customers.forms import ContactForm, GroupLinkForm, NoteForm, PreferenceForm, SpecialDateForm
from yingke.customers.lunar import describe
from yingke.customers.models import ContactLink, Customer, Preference
from yingke.customers.reminders import occurrence
from yingke.customers.views.changes import history_for

NOTES_SHOWN = 30
VISITS_SHOWN = 20
VISITS_MAX = 2000
GRADES_SHOWN = 24  # the last 24 runs of the grade history
PERSON_FIELDS = ["gender", "birth_date", "nationality", "id_type", "id_number_masked", "mobile", "email", "card_no",
                 "employer", "job_title", "marital_status", "module", "address", "area"]
ORG_FIELDS = ["nature", "business", "legal_representative", "mobile", "email", "card_no",
              "agreed_room_rate", "discount_rate", "payment_method", "credit_terms", "module", "address",
              "area", "main_needs"]
PROFILE_FIELDS = ["temperament", "hobbies", "habits", "religion", "taboos", "special_requests"]


def field_rows(customer, names, user):
    """(label, value) of each field, as this user may see it (masked mobile, masked ID)."""
    rows = []
    for name in names:
        field = Customer._meta.get_field(name)
        if name == "mobile":
            value = masking.customer_mobile(user, customer)
        elif name == "id_number_masked":
            value = masking.customer_id(user, customer)
        elif field.choices:
            value = getattr(customer, f"get_{name}_display")()
        else:
            value = getattr(customer, name)
            if isinstance(value, Decimal):
                value = format(value.normalize(), "f")  # 680.00 → 680, 0.850 → 0.85
        rows.append((capfirst(field.verbose_name), value, name))
    return rows


def visible_customer(request, pk) -> Customer:
    """The file if the user may see it, else 404 — a foreign id reveals nothing (R-1.2)."""
    qs = Customer.objects.visible_to(request.user).select_related(
        "property", "owner", "created_by", "module", "grade_override__created_by")
    customer = qs.filter(pk=pk).first()
    if customer is None:
        merging.follow(request.user, pk)  # a merged-away id: the survivor's page
        raise Http404
    return customer


def preferences_context(request, customer, form=None):
    prefs = list(customer.preferences.all())
    return {
        "customer": customer,
        "room_prefs": [p for p in prefs if p.category in Preference.ROOM],
        "dining_prefs": [p for p in prefs if p.category not in Preference.ROOM],
        "amendable_prefs": permissions.amendable(request.user, prefs),
        "pref_form": form or PreferenceForm(),
    }


def dates_context(request, customer, form=None):
    today = timezone.localdate()
    dates = []
    specs = list(customer.special_dates.all())
    for spec in specs:
        o = occurrence(spec, today)
        dates.append({"spec": spec, "described": describe(spec), "next": o.date, "in_days": o.days, "due": o.due})
    dates.sort(key=lambda d: d["next"])
    return {"customer": customer, "dates": dates, "date_form": form or SpecialDateForm(),
            "amendable_dates": permissions.amendable(request.user, specs)}


def notes_context(customer, form=None):
    notes = customer.notes.select_related("author", "outlet")[:NOTES_SHOWN]
    return {"customer": customer, "notes": notes, "note_form": form or NoteForm(customer=customer)}


def contacts_context(request, customer, form=None, can_edit=None):
    if customer.is_organisation:
        links = list(ContactLink.objects.visible_to(request.user).filter(organisation=customer)
                     .select_related("person").order_by("-is_primary", "person__name_pinyin"))
        # Link only to the contact files this user may open.
        person_ids = [link.person_id for link in links]
        openable = set(Customer.objects.visible_to(request.user).filter(pk__in=person_ids)
                       .values_list("pk", flat=True)) if person_ids else set()
        for link in links:
            link.openable = link.person_id in openable
        # Contact people are regular information: only users who may edit the file change them.
        if can_edit is None:
            can_edit = permissions.can(request.user, permissions.EDIT, customer)
        form = (form or ContactForm(organisation=customer, user=request.user)) if can_edit else None
    else:
        # ContactLink.visible_to follows the organisation: only organisations the user may see.
        links = list(ContactLink.objects.visible_to(request.user).filter(person=customer)
                     .select_related("organisation"))
        form = None
    return {"customer": customer, "links": links, "contact_form": form, "hidden_file": masking.HIDDEN_FILE}


def other_properties(user, customer):
    """The user's properties other than the file's: where a group-account sibling may be."""
    return [p for p in user.properties.all() if p.pk != customer.property_id]


def group_context(request, customer, form=None, can_edit=None):
    """The files of other properties linked to this one as a group account (R-1.1).

    Only files the user may see are listed; of the others nothing is shown, not even how
    many there are (R-1.2). Linking and leaving are for those who may edit the file.
    """
    siblings = []
    if customer.group_account_id:
        siblings = list(Customer.objects.visible_to(request.user).filter(group_account_id=customer.group_account_id)
                        .exclude(pk=customer.pk).select_related("property", "owner"))
    if can_edit is None:
        can_edit = permissions.can(request.user, permissions.EDIT, customer)
    choices = other_properties(request.user, customer) if can_edit else []
    if form is None and choices:
        form = GroupLinkForm(properties=choices)
    return {"customer": customer, "group_siblings": siblings, "can_edit": can_edit,
            "group_form": form if choices else None}


def history_context(request, customer):
    show_all = request.GET.get("all") == "1"
    limit = 500 if show_all else 30
    changes = history_for(customer, request.user, limit=limit + 1)
    return {"customer": customer, "changes": changes[:limit], "more_changes": len(changes) > limit}


def visits_context(request, customer):
    """The visits section: the consumption profile (stored on the file, R-2.3) and the
    visits and stays, newest first, VISITS_SHOWN at a time ("show more": ?visits=N).

    The file is visible (visible_customer), and a visit is visible with its file: the
    reverse relation reads them without this app importing the visits app. One query for
    the rows (outlet and staff joined), whatever the count.
    """
    try:
        shown = min(max(int(request.GET.get("visits", VISITS_SHOWN)), VISITS_SHOWN), VISITS_MAX)
    except (TypeError, ValueError):
        shown = VISITS_SHOWN
    rows = list(customer.visits.select_related("outlet", "served_by", "voided_by", "created_by")[: shown + 1])
    visits = rows[:shown]
    user = request.user
    consumption = customer.consumption or {}
    return {
        "customer": customer,
        "visits": visits,
        "more_visits": len(rows) > shown,
        "visits_next": shown + VISITS_SHOWN * 5,
        "amendable_visits": permissions.amendable(user, visits),
        # RECORD on a file already read through visible_to: the roles that open files in
        # its property (core.permissions.creatable_properties), without another query.
        "can_record": customer.property_id in permissions.creatable_properties(user),
        "room_types": consumption.get("room_types", []),
        "outlets_used": consumption.get("outlets", []),
        "channels": consumption.get("channels", []),
    }


def grade_override_of(customer):
    """The general manager's override of the file's grade, or None (read with the file)."""
    try:
        return customer.grade_override
    except ObjectDoesNotExist:
        return None


def grades_context(request, customer, override_form=None, remove_form=None):
    """The grade card (R-4): the grade in force, the computed grade and the override beside it,
    and the grade history from the run snapshots (newest first). The entries are read through
    the reverse relation of the visible file (a snapshot row is visible with its file), one
    query with the runs; the override comes with the file (visible_customer). The override form
    is for whoever may REGRADE the file (its general manager); the grading app serves the card
    (loaded by the 360 page after it, like the change history, to keep the page within its query
    budget) and handles the posts.
    """
    entries = list(customer.grade_entries.select_related("run").order_by("-run__as_of", "-run_id")[:GRADES_SHOWN])
    can_regrade = permissions.can(request.user, permissions.REGRADE, customer)
    override = grade_override_of(customer)
    return {
        "customer": customer,
        "grade_entries": entries,
        "grade_override": override,
        "can_regrade": can_regrade,
        "override_form": override_form,
        "remove_form": remove_form,
    }


@login_required
def customer_detail(request, pk):
    customer = visible_customer(request, pk)
    user = request.user
    can_edit = permissions.can(user, permissions.EDIT, customer)
    context = {
        "customer": customer,
        "title": customer.name,
        "tags": list(customer.tags.all()),
        "mobile": masking.customer_mobile(user, customer),
        "regular_rows": field_rows(customer, ORG_FIELDS if customer.is_organisation else PERSON_FIELDS, user),
        "profile_rows": [row for row in field_rows(
            customer, ["special_requests"] if customer.is_organisation else PROFILE_FIELDS, user) if row[1]],
        "can_edit": can_edit,
        "organisation": customer.is_organisation,
    }
    context.update(preferences_context(request, customer))
    context.update(dates_context(request, customer))
    context.update(notes_context(customer))
    context.update(contacts_context(request, customer, can_edit=can_edit))
    context.update(group_context(request, customer, can_edit=can_edit))
    context.update(visits_context(request, customer))
    # The change history is loaded by the page (htmx, on load): its eight queries would
    # take the page over its budget of 15 (tests/visits/test_visits_on_the_360_page.py).
    # Read here only when something asks (tests reading the context).
    context["changes"] = SimpleLazyObject(lambda: history_context(request, customer)["changes"])
    context["history_lazy"] = True
    return render(request, "customers/detail.html", context)
