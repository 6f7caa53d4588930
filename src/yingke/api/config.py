"""Configuration endpoints: properties, outlets, staff, tags (R-1.1, R-1.2, R-1.3).

Thin adapters over core.services and customers.tags, which decide who may do what: a
role that configures nothing gets 403, a row outside the properties the user configures
404, bad input 422 with field messages, a change the current state forbids (a member of
staff who still owns guest files or leads a team) 409. Every change is audited there.
"""

from typing import Annotated, Literal

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import BeforeValidator

from yingke.api.errors import field_error
from yingke.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Page, offset_page
from yingke.api.schemas import ErrorOut, In, choice
from yingke.core import services
from yingke.core.models import Outlet, Property, User
from yingke.core.permissions import NotVisible
from yingke.core.roles import Role
from yingke.customers import tags as tag_services
from yingke.customers.models import Tag

router = Router(tags=["configuration"])

# One line of text without control characters, not blank (the services trim spaces).
TEXT = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
OPTIONAL_TEXT = r"^[^\x00-\x1f\x7f-\x9f]*$"
CODE = r"^[A-Za-z0-9_-]{1,20}$"
USERNAME = r"^[\w.@+-]{1,150}$"
PASSWORD = r"^[^\x00-\x1f\x7f-\x9f]{10,128}$"
PROPERTY_KIND = choice(Property.Kind)
OUTLET_KIND = choice(Outlet.Kind)
ROLE = choice(Role)
TIME_ZONE = Literal.__getitem__(tuple(sorted(services.time_zones())))

def _whole_number(value):
    if isinstance(value, bool | str):  # JSON true/false or text is not a number (pydantic would coerce it)
        raise ValueError(_("Enter a whole number."))
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class Paging(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


# ---- properties ------------------------------------------------------------------------

class ConfigPropertyIn(In):
    code: str = Field(pattern=CODE, description="Set once; used by imports, the API and scripts.")
    name: str = Field(max_length=100, pattern=TEXT)
    kind: PROPERTY_KIND = "hotel"
    time_zone: TIME_ZONE = "Asia/Shanghai"


class ConfigPropertyPatch(In):
    # Not nullable: a field sent is a value, an absent one stays as it is.
    name: str = Field(None, max_length=100, pattern=TEXT)
    kind: PROPERTY_KIND = None
    time_zone: TIME_ZONE = None
    outlets_strict: bool = Field(None, description="Imports reject rows naming an outlet that is not configured "
                                                   "(instead of creating it).")


class ConfigPropertyOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    time_zone: str
    outlets_strict: bool
    outlets: int
    staff: int = Field(description="Active staff who work there.")


def _property_out(p: Property) -> dict:
    """`p` from _with_counts()."""
    return {"id": p.pk, "code": p.code, "name": p.name, "kind": p.kind, "time_zone": p.time_zone,
            "outlets_strict": p.outlets_strict, "outlets": p.n_outlets, "staff": p.n_staff}


def _reread_property(pk) -> dict:
    return _property_out(_with_counts(Property.objects.filter(pk=pk)).get())


def _with_counts(qs):
    return qs.annotate(n_outlets=Count("outlets", distinct=True),
                       n_staff=Count("staff", filter=Q(staff__is_active=True), distinct=True))


def _body(payload) -> dict:
    return {k: (v.value if hasattr(v, "value") else v) for k, v in payload.model_dump(exclude_unset=True).items()}


def _in_property(request, qs, code):
    """`qs` narrowed to the property with this code, one the user configures (else 404)."""
    if not code:
        return qs
    return qs.filter(property=services.configurable_property(request.auth, code=code))


def _not_null(data: dict, *fields) -> dict:
    for field in fields:
        if field in data and data[field] is None:
            raise field_error(field, _("This field is required."))
    return data


@router.get("/properties", response={200: Page[ConfigPropertyOut], 403: ErrorOut},
            summary="Properties I configure")
def list_properties(request, paging: Query[Paging]):
    qs = _with_counts(services.configurable_properties(request.auth)).order_by("code")
    return offset_page(request, qs, paging.limit, paging.offset, _property_out)


@router.post("/properties", response={201: ConfigPropertyOut, **ERRORS}, summary="Add a property",
             description="For administrators of the group and superusers; the administrator gets access to it.")
def create_property(request, payload: ConfigPropertyIn):
    prop = services.create_property(request.auth, **_body(payload))
    return Status(201, _reread_property(prop.pk))


@router.patch("/properties/{int:property_id}", response={200: ConfigPropertyOut, **ERRORS},
              summary="Change a property",
              description="Name, kind, time zone, strict outlets; the code is set once.")
def update_property(request, property_id: int, payload: ConfigPropertyPatch):
    prop = services.configurable_property(request.auth, pk=property_id)
    data = _not_null(_body(payload), "name", "kind", "time_zone", "outlets_strict")
    services.update_property(request.auth, prop, **data)
    return _reread_property(prop.pk)


# ---- outlets ---------------------------------------------------------------------------

class ConfigOutletIn(In):
    property: str = Field(pattern=CODE, description="Property code.")
    code: str = Field(pattern=CODE)
    name: str = Field(max_length=100, pattern=TEXT)
    kind: OUTLET_KIND = "restaurant"
    capacity: WholeNumber = Field(0, ge=0, le=services.MAX_CAPACITY,
                                  description="Tables, or rooms for a rooms outlet.")


class ConfigOutletPatch(In):
    code: str = Field(None, pattern=CODE)
    name: str = Field(None, max_length=100, pattern=TEXT)
    kind: OUTLET_KIND = None
    capacity: WholeNumber = Field(None, ge=0, le=services.MAX_CAPACITY)


class ConfigOutletOut(Schema):
    id: int
    property: str
    code: str
    name: str
    kind: str
    capacity: int


def _outlet_out(o: Outlet) -> dict:
    return {"id": o.pk, "property": o.property.code, "code": o.code, "name": o.name, "kind": o.kind,
            "capacity": o.capacity}


class OutletFilters(Paging):
    property: str | None = Field(None, pattern=CODE, description="Property code.")


@router.get("/outlets", response={200: Page[ConfigOutletOut], 403: ErrorOut, 404: ErrorOut},
            summary="Outlets of the properties I configure")
def list_outlets(request, filters: Query[OutletFilters]):
    qs = _in_property(request, services.configurable_outlets(request.auth), filters.property)
    return offset_page(request, qs.order_by("property__code", "code"), filters.limit, filters.offset, _outlet_out)


@router.post("/outlets", response={201: ConfigOutletOut, **ERRORS}, summary="Add an outlet")
def create_outlet(request, payload: ConfigOutletIn):
    data = _body(payload)
    prop = services.configurable_property(request.auth, code=data.pop("property"))
    return Status(201, _outlet_out(services.create_outlet(request.auth, prop, **data)))


@router.patch("/outlets/{int:outlet_id}", response={200: ConfigOutletOut, **ERRORS}, summary="Change an outlet")
def update_outlet(request, outlet_id: int, payload: ConfigOutletPatch):
    outlet = services.configurable_outlet(request.auth, outlet_id)
    data = _not_null(_body(payload), "code", "name", "kind", "capacity")
    return _outlet_out(services.update_outlet(request.auth, outlet, **data))


# ---- staff -----------------------------------------------------------------------------

class StaffFields(In):
    display_name: str | None = Field(None, max_length=50, pattern=OPTIONAL_TEXT)
    role: ROLE = None
    properties: list[str] = Field(None, min_length=1, max_length=100,
                                         description="Property codes; properties you do not configure are kept.")
    manager: str | None = Field(None, max_length=150, pattern=USERNAME,
                                description="User name of the sales manager (account managers only).")


class StaffIn(StaffFields):
    username: str = Field(pattern=USERNAME)
    password: str = Field(pattern=PASSWORD, description="At least 10 characters, not common, not like the "
                                                         "user name.")
    role: ROLE
    properties: list[str] = Field(min_length=1, max_length=100)


class StaffPatch(StaffFields):
    username: str = Field(None, pattern=USERNAME)
    is_active: bool = Field(None, strict=True, description="false deactivates: refused (409) while the member of "
                                                     "staff owns guest files or leads account managers.")


class PasswordIn(In):
    password: str = Field(pattern=PASSWORD)


class StaffOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    properties: list[str]
    manager: str | None
    is_active: bool
    owned_files: int = Field(description="Guest files this member of staff is the account manager of.")


def _staff_qs(qs):
    return (qs.select_related("manager").annotate(n_owned=Count("owned_customers", distinct=True))
            .prefetch_related(Prefetch("properties", queryset=Property.objects.order_by("code"))))


def _staff_out(u: User) -> dict:
    return {"id": u.pk, "username": u.username, "display_name": u.display_name, "role": u.role,
            "properties": [p.code for p in u.properties.all()], "manager": u.manager.username if u.manager else None,
            "is_active": u.is_active,
            "owned_files": u.n_owned if hasattr(u, "n_owned") else services.owned_files(u)}


def _reread_staff(pk) -> dict:
    return _staff_out(_staff_qs(User.objects.filter(pk=pk)).get())


class StaffFilters(Paging):
    property: str | None = Field(None, pattern=CODE, description="Property code.")
    role: ROLE | None = None
    active: bool | None = None
    q: str | None = Field(None, max_length=50, pattern=OPTIONAL_TEXT, description="Part of the user or "
                                                                                   "display name.")


@router.get("/staff", response={200: Page[StaffOut], 403: ErrorOut, 404: ErrorOut},
            summary="Staff of the properties I configure")
def list_staff(request, filters: Query[StaffFilters]):
    qs = services.configurable_staff(request.auth)
    if filters.property:
        qs = qs.filter(properties=services.configurable_property(request.auth, code=filters.property))
    if filters.role:
        qs = qs.filter(role=filters.role)
    if filters.active is not None:
        qs = qs.filter(is_active=filters.active)
    if filters.q and filters.q.strip():
        q = filters.q.strip()
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    return offset_page(request, _staff_qs(qs).order_by("username"), filters.limit, filters.offset, _staff_out)


@router.post("/staff", response={201: StaffOut, **ERRORS}, summary="Add a member of staff")
def create_staff(request, payload: StaffIn):
    user = services.create_staff(request.auth, **_body(payload))
    return Status(201, _reread_staff(user.pk))


@router.patch("/staff/{int:user_id}", response={200: StaffOut, **ERRORS}, summary="Change a member of staff",
              description="Only the fields sent are changed; `is_active: false` deactivates.")
def update_staff(request, user_id: int, payload: StaffPatch):
    member = services.configurable_member(request.auth, user_id)
    data = _not_null(_body(payload), "username", "role", "properties", "is_active")
    services.update_staff(request.auth, member, **data)
    return _reread_staff(member.pk)


@router.post("/staff/{int:user_id}/password", response={204: None, **ERRORS}, summary="Reset a password",
             description="Sets a new password for another member of staff.")
def reset_staff_password(request, user_id: int, payload: PasswordIn):
    member = services.configurable_member(request.auth, user_id)
    services.reset_password(request.auth, member, payload.password)
    return Status(204, None)


# ---- tags ------------------------------------------------------------------------------

class TagIn(In):
    property: str = Field(pattern=CODE, description="Property code.")
    name: str = Field(max_length=tag_services.MAX_LENGTH, pattern=TEXT)


class TagPatch(In):
    name: str = Field(max_length=tag_services.MAX_LENGTH, pattern=TEXT)


class TagMergeIn(In):
    into: int = Field(ge=1, le=2**63 - 1, description="Id of the tag that replaces this one.")


class TagOut(Schema):
    id: int
    property: str
    name: str
    files: int = Field(description="Guest files carrying the tag.")


def _tag_out(t: Tag) -> dict:
    return {"id": t.pk, "property": t.property.code, "name": t.name, "files": t.files}


class TagFilters(Paging):
    property: str | None = Field(None, pattern=CODE, description="Property code.")


@router.get("/tags", response={200: Page[TagOut], 403: ErrorOut, 404: ErrorOut},
            summary="Tags of the properties I configure")
def list_tags(request, filters: Query[TagFilters]):
    qs = _in_property(request, tag_services.configurable_tags(request.auth), filters.property)
    return offset_page(request, qs, filters.limit, filters.offset, _tag_out)


@router.post("/tags", response={201: TagOut, **ERRORS}, summary="Add a tag")
def create_tag(request, payload: TagIn):
    prop = services.configurable_property(request.auth, code=payload.property)
    tag = tag_services.create_tag(request.auth, prop, payload.name)
    return Status(201, _tag_out(tag_services.configurable_tag(request.auth, tag.pk)))


@router.patch("/tags/{int:tag_id}", response={200: TagOut, **ERRORS}, summary="Rename a tag",
              description="Recorded in the history of every file carrying it.")
def update_tag(request, tag_id: int, payload: TagPatch):
    tag = tag_services.configurable_tag(request.auth, tag_id)
    tag_services.rename_tag(request.auth, tag, payload.name)
    return _tag_out(tag_services.configurable_tag(request.auth, tag_id))


@router.post("/tags/{int:tag_id}/merge", response={200: TagOut, **ERRORS}, summary="Merge a tag into another",
             description="Files carrying this tag carry `into` instead; this tag is deleted.")
def merge_tag(request, tag_id: int, payload: TagMergeIn):
    source = tag_services.configurable_tag(request.auth, tag_id)
    try:
        target = tag_services.configurable_tag(request.auth, payload.into)
    except NotVisible:
        raise field_error("into", _("Choose a tag of the same property.")) from None
    tag_services.merge_tags(request.auth, source, target)
    return _tag_out(tag_services.configurable_tag(request.auth, target.pk))


@router.delete("/tags/{int:tag_id}", response={204: None, **ERRORS}, summary="Delete a tag",
               description="Removed from every file carrying it (recorded in each file's history).")
def delete_tag(request, tag_id: int):
    tag = tag_services.configurable_tag(request.auth, tag_id)
    tag_services.delete_tag(request.auth, tag)
    return Status(204, None)
