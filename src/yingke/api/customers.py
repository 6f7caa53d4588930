"""Guest files: list, search, create, retrieve, update (R-2.1, R-2.2, R-2.7).

Every read starts from Customer.objects.visible_to(user); every write goes through
customers.services inside one transaction, so bad input changes nothing.
"""

from enum import Enum

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
    filter_parameters,
    filtered,
    keyset_page,
    offset_page,
)
from yingke.api.schemas import (
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
from yingke.core import permissions
from yingke.core.models import Property, User
from yingke.core.roles import Role
from yingke.customers import services
from yingke.customers.filters import CustomerFilterSet
from yingke.customers.models import Customer
from yingke.customers.search import search

router = Router(tags=["customers"])

SEARCH_MAX = 100


class CustomerListParams(Clean):
    """Paging and the search box; the filters are customers.filters.CustomerFilterSet (shared with the UI)."""

    q: str | None = Field(None, description="Search box: mobile, last 4, name, pinyin, initials, ID, card.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    cursor: str | None = Field(None, max_length=1000, description="The `next` link's cursor.")


def _listing(qs):
    return qs.select_related("property", "owner", "module").prefetch_related("tags")


@router.get("/customers", response=Page[CustomerSummary], summary="List guest files",
            description="Filters combine; with `q` the results are ranked by the search box. "
                        "Use `next` (a keyset cursor) to page through large lists.",
            openapi_extra={"parameters": filter_parameters(CustomerFilterSet)})
def list_customers(request, params: Query[CustomerListParams]):
    user = request.auth
    filters = CustomerFilterSet(request.GET, user=user)
    qs = filtered(filters)

    def ser(c):
        return customer_summary(c, user)

    if params.q and params.q.strip():
        hits = search(user, params.q, limit=SEARCH_MAX)
        order = [h.customer.pk for h in hits]
        by_id = {c.pk: c for c in _listing(qs.filter(pk__in=order))}
        rows = [by_id[pk] for pk in order if pk in by_id]
        return offset_page(request, rows, params.limit, params.offset, ser)
    ordering = filters.ordering()
    if params.offset and not params.cursor:
        qs = _listing(qs).order_by(*ordering.order_by())
        return offset_page(request, qs, params.limit, params.offset, ser)
    return keyset_page(request, _listing(qs), ordering, params.limit, params.cursor, ser)


class SearchPage(Page[SearchHitOut]):
    id_lookup_limited: bool = Field(False, description="The query looked like an ID number but your ID-number "
                                                       "lookups for the hour are used up: ID numbers were not "
                                                       "searched.")
    mobile_prefix_refused: bool = Field(False, description="The query was the start of a mobile; your role finds "
                                                           "mobiles only in full or by the last 4 digits.")
    notices: list[str] = Field(default_factory=list, description="The same, in the request's language.")


@router.get("/customers/search", response=SearchPage, summary="The search box",
            description="Mobile (full, or the last 4 digits; a role that sees masked mobiles finds them only "
                        "so), name, pinyin, initials, every reading of polyphonic characters, ID number "
                        "(a limited number of lookups per hour, audited), card number; best match first.")
def search_customers(request, q: str, limit: int = Query(20, ge=1, le=50)):
    user = request.auth
    if has_nul(q):
        raise field_error("q", nul_message())
    hits = search(user, q, limit=limit)
    prefetch_related_objects([h.customer for h in hits], "property", "tags", "module")
    items = [{"score": h.score, "match": h.reason, "customer": customer_summary(h.customer, user)} for h in hits]
    return {**envelope(items, len(items)), "id_lookup_limited": hits.id_lookup_limited,
            "mobile_prefix_refused": hits.mobile_prefix_refused, "notices": hits.notices()}


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


def _set_owner(customer: Customer, owner_id) -> None:
    """Put the requested owner on the file; whether the actor may is the service's question."""
    if owner_id is None:
        customer.owner = None
        return
    owner = User.objects.filter(pk=owner_id).first()
    if owner is None:
        raise field_error("owner", _("You cannot make this member of staff the account manager of this file."))
    customer.owner = owner


def _save(user, customer: Customer, data: dict, creating: bool) -> Customer:
    id_number = data.pop("id_number", services.UNCHANGED)
    if id_number is None:
        id_number = ""
    tag_names = data.pop("tags", None)
    if "owner" in data:
        _set_owner(customer, data.pop("owner"))
    elif creating and user.role == Role.ACCOUNT_MANAGER:
        customer.owner = user  # an account manager's new guest is their own
    if "module" in data:
        customer.module_id = data.pop("module")  # save_customer checks it (property, in use)
    apply_fields(customer, data)
    with transaction.atomic():
        tags = services.tags_from_names(customer.property, tag_names) if tag_names is not None else None
        return services.save_customer(user, customer, id_number=id_number, tags=tags)


def _detail(user, c: Customer) -> dict:
    """`c` with property and owner selected, as stored (re-read it after a write)."""
    prefetch_related_objects([c], "tags", "module")
    return customer_detail(c, user, permissions.can(user, permissions.EDIT, c))


def _reread(user, pk: int) -> Customer:
    """The file as stored, through the rule like every read: after a write that moved it
    out of the user's sight (e.g. handed to another team) it is 404, not data."""
    return visible_customer(user, pk)


@router.post("/customers", response={201: CustomerOut, 403: ErrorOut, 422: ErrorOut}, summary="Create a guest file")
def create_customer(request, payload: CustomerCreate):
    user = request.auth
    data = payload.model_dump(exclude_unset=True)
    prop = _property_for(user, data.pop("property", None))
    if data.get("kind") is None:
        data.pop("kind", None)
    customer = _save(user, Customer(property=prop), data, creating=True)
    return Status(201, _detail(user, _reread(user, customer.pk)))


@router.get("/customers/{int:customer_id}", response={200: CustomerOut, 404: ErrorOut}, summary="A guest file",
            description="The id of a file merged into another (R-2.8) answers with the file it became: "
                        "the body is that file, with its own `id`.")
def get_customer(request, customer_id: int):
    return _detail(request.auth, visible_customer(request.auth, customer_id))


@router.patch("/customers/{int:customer_id}", response={200: CustomerOut, 403: ErrorOut, 404: ErrorOut,
                                                          422: ErrorOut},
              summary="Change a guest file",
              description="Only the fields sent are changed. The id of a file merged into another "
                          "(R-2.8) answers 404 with a message naming the file it became: a write is "
                          "never forwarded to the survivor (the same for every write on a file's "
                          "parts: visits, notes, preferences, dates, contacts, merge).")
def update_customer(request, customer_id: int, payload: CustomerPatch):
    user = request.auth
    customer = editable_customer(user, customer_id)
    data = payload.model_dump(exclude_unset=True)
    for required in ("name", "kind"):
        if required in data and data[required] is None:
            raise field_error(required, _("This field is required."))
    _save(user, customer, data, creating=False)
    return _detail(user, _reread(user, customer.pk))
