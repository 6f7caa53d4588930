"""Guest files: list, search, create, retrieve, update (R-2.1, R-2.2, R-2.7).

Every read starts from Customer.objects.visible_to(user); every write goes through
customers.services inside one transaction, so bad input changes nothing.
"""

from enum import Enum
from typing import Literal

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Status

from yingke.api.access import editable_customer, visible_customer
from yingke.api.errors import ApiError, field_error
from yingke.api.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    Page,
    envelope,
    keyset_page,
    offset_page,
)
from yingke.api.schemas import (
    KIND,
    Clean,
    CustomerCreate,
    CustomerOut,
    CustomerPatch,
    CustomerSummary,
    ErrorOut,
    SearchHitOut,
    customer_detail,
    customer_summary,
    has_nul,
    nul_message,
)
from yingke.core.models import Property
from yingke.core.roles import EDITORS, Role
from yingke.customers import services
from yingke.customers.models import Customer
from yingke.customers.search import search

router = Router(tags=["customers"])

# Keyset orderings for the list: name = primary pinyin, then id.
ORDERINGS = {
    "name": ("name_pinyin", "id"),
    "-created": ("-created_at", "-id"),
    "code": ("customer_code", "id"),
}
SEARCH_MAX = 100
RELEASERS = {Role.GENERAL_MANAGER, Role.SALES_MANAGER, Role.ACCOUNT_MANAGER}


class CustomerFilters(Clean):
    q: str | None = Field(None, description="Search box: mobile, last 4, name, pinyin, initials, ID, card.")
    kind: KIND | None = None
    owner: str | None = Field(None, description="'me', 'none' (shared pool) or a user id.")
    tag: str | None = None
    property: str | None = Field(None, description="Property code.")
    order: Literal["name", "-created", "code"] = "name"
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    cursor: str | None = None


def _listing(qs):
    return qs.select_related("property", "owner").prefetch_related("tags")


def _filtered(user, f: CustomerFilters):
    qs = Customer.objects.visible_to(user)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.owner:
        if f.owner == "me":
            qs = qs.filter(owner=user)
        elif f.owner == "none":
            qs = qs.filter(owner__isnull=True)
        elif f.owner.isdigit() and len(f.owner) < 19:
            qs = qs.filter(owner_id=int(f.owner))
        else:
            raise field_error("owner", _("Use 'me', 'none' or a user id."))
    if f.tag:
        qs = qs.filter(tags__name=f.tag.strip())
    if f.property:
        qs = qs.filter(property__code__iexact=f.property.strip())
    return qs


@router.get("/customers", response=Page[CustomerSummary], summary="List guest files",
            description="Filters combine; with `q` the results are ranked by the search box. "
                        "Use `next` (a keyset cursor) to page through large lists.")
def list_customers(request, filters: Query[CustomerFilters]):
    user = request.auth
    qs = _filtered(user, filters)

    def ser(c):
        return customer_summary(c, user)

    if filters.q and filters.q.strip():
        hits = search(user, filters.q, limit=SEARCH_MAX)
        order = [h.customer.pk for h in hits]
        by_id = {c.pk: c for c in _listing(qs.filter(pk__in=order))}
        rows = [by_id[pk] for pk in order if pk in by_id]
        return offset_page(request, rows, filters.limit, filters.offset, ser)
    if filters.offset and not filters.cursor:
        qs = _listing(qs).order_by(*ORDERINGS[filters.order])
        return offset_page(request, qs, filters.limit, filters.offset, ser)
    return keyset_page(request, _listing(qs), filters.order, ORDERINGS[filters.order], filters.limit,
                       filters.cursor, ser)


@router.get("/customers/search", response=Page[SearchHitOut], summary="The search box",
            description="Mobile (full or last 4), name, pinyin, initials, every reading of polyphonic "
                        "characters, ID number, card number; best match first.")
def search_customers(request, q: str, limit: int = Query(20, ge=1, le=50)):
    user = request.auth
    if has_nul(q):
        raise field_error("q", nul_message())
    hits = search(user, q, limit=limit)
    prefetch_related_objects([h.customer for h in hits], "property", "tags")
    items = [{"score": h.score, "match": h.reason, "customer": customer_summary(h.customer, user)} for h in hits]
    return envelope(items, len(items))


def _property_for(user, code: str | None) -> Property:
    mine = Property.objects.filter(pk__in=user.property_ids())
    if code:
        prop = mine.filter(code__iexact=code.strip()).first()
        if prop is None:
            msg = _("You do not work at property “%(code)s”, so you cannot create files there.") % {"code": code}
            raise ApiError(403, msg, {"property": [msg]})
        return prop
    props = list(mine)
    if len(props) != 1:
        raise field_error("property", _("Choose the property: %(codes)s.") % {
            "codes": ", ".join(p.code for p in props) or "-"})
    return props[0]


def apply_fields(customer: Customer, data: dict) -> None:
    """Copy validated request fields onto the model; null means blank for text fields."""
    for name, value in data.items():
        field = Customer._meta.get_field(name)
        if isinstance(value, Enum):
            value = value.value
        if value is None and not field.null:
            value = ""
        setattr(customer, name, value)


def _check_owner(user, customer: Customer, owner_id, creating: bool) -> None:
    if owner_id == customer.owner_id and not creating:
        return
    if owner_id is None:
        if creating or user.role in RELEASERS:
            customer.owner = None
            return
    else:
        owner = services.assignable_owners(user, customer.property).filter(pk=owner_id).first()
        if owner is not None:
            customer.owner = owner
            return
    raise field_error("owner", _("You cannot make this member of staff the account manager of this file."))


def _save(user, customer: Customer, data: dict, creating: bool) -> Customer:
    id_number = data.pop("id_number", services.UNCHANGED)
    if id_number is None:
        id_number = ""
    tag_names = data.pop("tags", None)
    if "owner" in data:
        _check_owner(user, customer, data.pop("owner"), creating)
    elif creating and user.role == Role.ACCOUNT_MANAGER:
        customer.owner = user  # an account manager's new guest is their own
    apply_fields(customer, data)
    with transaction.atomic():
        tags = services.tags_from_names(customer.property, tag_names) if tag_names is not None else None
        return services.save_customer(user, customer, id_number=id_number, tags=tags)


def _detail(user, c: Customer) -> dict:
    """`c` with property and owner selected, as stored (re-read it after a write)."""
    prefetch_related_objects([c], "tags")
    can_edit = Customer.objects.editable_by(user).filter(pk=c.pk).exists()
    return customer_detail(c, user, can_edit)


def _reread(pk: int) -> Customer:
    return Customer.objects.select_related("property", "owner").get(pk=pk)


@router.post("/customers", response={201: CustomerOut, 403: ErrorOut, 422: ErrorOut}, summary="Create a guest file")
def create_customer(request, payload: CustomerCreate):
    user = request.auth
    if user.role not in EDITORS:
        raise ApiError(403, _("Your role may not create guest files."))
    data = payload.model_dump(exclude_unset=True)
    prop = _property_for(user, data.pop("property", None))
    if data.get("kind") is None:
        data.pop("kind", None)
    customer = _save(user, Customer(property=prop), data, creating=True)
    return Status(201, _detail(user, _reread(customer.pk)))


@router.get("/customers/{int:customer_id}", response={200: CustomerOut, 404: ErrorOut}, summary="A guest file")
def get_customer(request, customer_id: int):
    return _detail(request.auth, visible_customer(request.auth, customer_id))


@router.patch("/customers/{int:customer_id}", response={200: CustomerOut, 403: ErrorOut, 404: ErrorOut,
                                                          422: ErrorOut},
              summary="Change a guest file", description="Only the fields sent are changed.")
def update_customer(request, customer_id: int, payload: CustomerPatch):
    user = request.auth
    customer = editable_customer(user, customer_id)
    data = payload.model_dump(exclude_unset=True)
    for required in ("name", "kind"):
        if required in data and data[required] is None:
            raise field_error(required, _("This field is required."))
    _save(user, customer, data, creating=False)
    return _detail(user, _reread(customer.pk))
