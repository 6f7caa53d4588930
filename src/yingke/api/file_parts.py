"""Parts of a guest file: contact people, preferences, special dates, notes (R-2.1, R-2.4–2.6).

Reads start from each model's visible_to(user). Contact people are regular information
(editors only); preferences, special dates and notes are annotations that every role
seeing the file may add (front desk annotates, R-1.2).
"""

import dataclasses

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from yingke.api.access import customer_for_write, editable_customer, visible_child, visible_customer
from yingke.api.customers import apply_fields
from yingke.api.errors import ApiError, django_errors, field_error, invalid_input, not_found
from yingke.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Page, offset_page
from yingke.api.schemas import (
    ChangeOut,
    ContactAdd,
    ContactOut,
    ErrorOut,
    NoteIn,
    NoteOut,
    PreferenceIn,
    PreferenceOut,
    SpecialDateIn,
    SpecialDateOut,
    SpecialDatePatch,
    contact_out,
    note_out,
    preference_out,
    special_date_out,
)
from yingke.core.models import Outlet
from yingke.customers import services
from yingke.customers.models import ContactLink, Customer, Note, Preference, SpecialDate
from yingke.customers.views.changes import history_for

router = Router()
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


LIMIT = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
OFFSET = Query(0, ge=0, le=MAX_OFFSET)


# ---- contact people ------------------------------------------------------------------

def _contacts_page(request, org_id, limit, offset):
    user = request.auth
    links = list(ContactLink.objects.visible_to(user).filter(organisation_id=org_id)
                 .select_related("person").order_by("-is_primary", "person__name_pinyin", "id"))
    person_ids = [link.person_id for link in links]
    visible = set(Customer.objects.visible_to(user).filter(pk__in=person_ids).values_list("pk", flat=True))
    return offset_page(request, links, limit, offset, lambda link: contact_out(link, user, visible))


@router.get("/customers/{int:customer_id}/contacts", response={200: Page[ContactOut], 404: ErrorOut},
            tags=["contacts"], summary="Contact people of an organisation")
def list_contacts(request, customer_id: int, limit: int = LIMIT, offset: int = OFFSET):
    customer = visible_customer(request.auth, customer_id)
    return _contacts_page(request, customer.pk, limit, offset)


@router.post("/customers/{int:customer_id}/contacts", response={201: ContactOut, **ERRORS}, tags=["contacts"],
             summary="Add a contact person",
             description="Link an existing person file (`person_id`) or create one (`person`).")
def add_contact(request, customer_id: int, payload: ContactAdd):
    user = request.auth
    org = editable_customer(user, customer_id)
    if (payload.person_id is None) == (payload.person is None):
        raise field_error("person_id", _("Give either person_id or person."))
    with transaction.atomic():
        if payload.person_id is not None:
            person = Customer.objects.visible_to(user).filter(pk=payload.person_id).first()
            if person is None:
                raise field_error("person_id", _("No such guest file."))
        else:
            data = payload.person.model_dump(exclude_unset=True)
            for key in ("owner", "tags", "kind"):
                if key in data:
                    raise field_error(f"person.{key}", _("Unknown field."))
            person = Customer(property=org.property, owner=org.owner, kind=Customer.Kind.PERSON)
            id_number = data.pop("id_number", services.UNCHANGED)
            apply_fields(person, data)
            try:
                person = services.save_customer(user, person, id_number="" if id_number is None else id_number)
            except ValidationError as e:
                raise ApiError(422, invalid_input(), {f"person.{k}": v for k, v in django_errors(e).items()}) \
                    from None
        link = services.link_contact(user, org, person, title=payload.title, is_primary=payload.is_primary)
    visible = set(Customer.objects.visible_to(user).filter(pk=person.pk).values_list("pk", flat=True))
    return Status(201, contact_out(ContactLink.objects.visible_to(user).select_related("person").get(pk=link.pk), user, visible))


@router.delete("/customers/{int:customer_id}/contacts/{int:person_id}", response={204: None, **ERRORS},
               tags=["contacts"], summary="Remove a contact person",
               description="Unlinks the person; their own file stays.")
def remove_contact(request, customer_id: int, person_id: int):
    user = request.auth
    editable_customer(user, customer_id)
    link = ContactLink.objects.visible_to(user).filter(organisation_id=customer_id, person_id=person_id).first()
    if link is None:
        raise not_found()
    services.unlink_contact(user, link)
    return Status(204, None)


# ---- preferences ---------------------------------------------------------------------

@router.get("/customers/{int:customer_id}/preferences", response={200: Page[PreferenceOut], 404: ErrorOut},
            tags=["preferences"], summary="Preferences of a guest")
def list_preferences(request, customer_id: int, limit: int = LIMIT, offset: int = OFFSET):
    customer = visible_customer(request.auth, customer_id)
    qs = (Preference.objects.visible_to(request.auth).filter(customer_id=customer.pk)
          .select_related("created_by").order_by("category", "id"))
    return offset_page(request, qs, limit, offset, preference_out)


@router.post("/customers/{int:customer_id}/preferences", response={201: PreferenceOut, **ERRORS},
             tags=["preferences"], summary="Add a preference")
def add_preference(request, customer_id: int, payload: PreferenceIn):
    customer = customer_for_write(request.auth, customer_id)
    pref = services.add_preference(request.auth, customer, payload.category, payload.value)
    return Status(201, preference_out(pref))


@router.delete("/customers/{int:customer_id}/preferences/{int:pref_id}", response={204: None, **ERRORS},
               tags=["preferences"], summary="Delete a preference")
def delete_preference(request, customer_id: int, pref_id: int):
    pref = visible_child(Preference, request.auth, customer_id, pref_id)
    services.delete_preference(request.auth, pref)
    return Status(204, None)


# ---- special dates -------------------------------------------------------------------

@router.get("/customers/{int:customer_id}/special-dates", response={200: Page[SpecialDateOut], 404: ErrorOut},
            tags=["special dates"], summary="Special dates of a guest",
            description="Each with its next occurrence (lunar dates by the lunar calendar) and whether "
                        "the care reminder is due.")
def list_special_dates(request, customer_id: int, limit: int = LIMIT, offset: int = OFFSET):
    customer = visible_customer(request.auth, customer_id)
    today = timezone.localdate()
    rows = [special_date_out(s, today) for s in
            SpecialDate.objects.visible_to(request.auth).filter(customer_id=customer.pk)]
    rows.sort(key=lambda r: (r["next_occurrence"], r["id"]))
    return offset_page(request, rows, limit, offset, lambda r: r)


def _save_date(user, spec: SpecialDate, data: dict) -> SpecialDate:
    if data.get("label", "") is None:
        data["label"] = ""
    for name, value in data.items():
        if value is None and name not in ("year",):
            raise field_error(name, _("This field is required."))
        setattr(spec, name, getattr(value, "value", value))
    return services.save_special_date(user, spec)


@router.post("/customers/{int:customer_id}/special-dates", response={201: SpecialDateOut, **ERRORS},
             tags=["special dates"], summary="Add a special date")
def add_special_date(request, customer_id: int, payload: SpecialDateIn):
    customer = customer_for_write(request.auth, customer_id)
    spec = _save_date(request.auth, SpecialDate(customer=customer), payload.model_dump(exclude_unset=True))
    return Status(201, special_date_out(spec, timezone.localdate()))


@router.patch("/customers/{int:customer_id}/special-dates/{int:date_id}", response={200: SpecialDateOut, **ERRORS},
              tags=["special dates"], summary="Change a special date")
def update_special_date(request, customer_id: int, date_id: int, payload: SpecialDatePatch):
    spec = visible_child(SpecialDate, request.auth, customer_id, date_id)
    spec = _save_date(request.auth, spec, payload.model_dump(exclude_unset=True))
    return special_date_out(spec, timezone.localdate())


@router.delete("/customers/{int:customer_id}/special-dates/{int:date_id}", response={204: None, **ERRORS},
               tags=["special dates"], summary="Delete a special date")
def delete_special_date(request, customer_id: int, date_id: int):
    spec = visible_child(SpecialDate, request.auth, customer_id, date_id)
    services.delete_special_date(request.auth, spec)
    return Status(204, None)


# ---- notes ---------------------------------------------------------------------------

@router.get("/customers/{int:customer_id}/notes", response={200: Page[NoteOut], 404: ErrorOut}, tags=["notes"],
            summary="Notes and feedback on a guest file, newest first")
def list_notes(request, customer_id: int, limit: int = LIMIT, offset: int = OFFSET):
    customer = visible_customer(request.auth, customer_id)
    qs = (Note.objects.visible_to(request.auth).filter(customer_id=customer.pk)
          .select_related("outlet", "author").order_by("-created_at", "-id"))
    return offset_page(request, qs, limit, offset, note_out)


@router.post("/customers/{int:customer_id}/notes", response={201: NoteOut, **ERRORS}, tags=["notes"],
             summary="Add a note or feedback")
def add_note(request, customer_id: int, payload: NoteIn):
    customer = customer_for_write(request.auth, customer_id)
    outlet = None
    if payload.outlet:
        outlet = Outlet.objects.filter(property_id=customer.property_id, code=payload.outlet.strip()).first()
        if outlet is None:
            raise field_error("outlet", _("No outlet with this code in the guest's property."))
    note = services.add_note(request.auth, customer, payload.text, payload.kind, outlet)
    return Status(201, note_out(note))


# ---- change history ------------------------------------------------------------------

@router.get("/customers/{int:customer_id}/history", response={200: Page[ChangeOut], 404: ErrorOut},
            tags=["history"], summary="Change history of a guest file, newest first",
            description="Who changed what and when, for the file and its preferences, dates, notes and "
                        "contacts (R-12.3). Mobiles are masked as elsewhere.")
def customer_history(request, customer_id: int, limit: int = LIMIT, offset: int = OFFSET):
    customer = visible_customer(request.auth, customer_id)
    rows = [dataclasses.asdict(c) for c in history_for(customer, request.auth, limit=10_000)]
    return offset_page(request, rows, limit, offset, lambda r: r)
