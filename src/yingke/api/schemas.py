"""Request and response schemas, and the functions that turn models into responses.

Responses never carry the plain ID number (only `id_number_masked`); `mobile` is masked
for roles without the right to see full numbers (R-12.1).
"""

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import ConfigDict, field_validator

from yingke.customers import masking
from yingke.customers.models import Customer, Note, Preference, SpecialDate


def choice(choices) -> type:
    """A Literal of a TextChoices' values (inline enum in OpenAPI, no name clashes)."""
    return Literal.__getitem__(tuple(choices.values))


KIND = choice(Customer.Kind)
GENDER = choice(Customer.Gender)
ID_TYPE = choice(Customer.IdType)
MARITAL = choice(Customer.Marital)
NATURE = choice(Customer.Nature)
PREF_CATEGORY = choice(Preference.Category)
DATE_KIND = choice(SpecialDate.Kind)
CALENDAR = choice(SpecialDate.Calendar)
NOTE_KIND = choice(Note.Kind)


def has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(has_nul(v) for v in value.values())
    return False


def nul_message() -> str:
    return _("Text may not contain null characters.")


class Clean(Schema):
    """Input whose strings may not contain NUL (PostgreSQL cannot store it)."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value):
        if has_nul(value):
            raise ValueError(nul_message())
        return value


class In(Clean):
    """Request bodies reject unknown fields, so a typo is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


# ---- customers -----------------------------------------------------------------------

class CustomerFields(In):
    customer_code: str | None = None
    kind: KIND | None = None
    name: str | None = None
    gender: GENDER | None = None
    birth_date: dt.date | None = None
    nationality: str | None = None
    id_type: ID_TYPE | None = None
    id_number: str | None = Field(None, description="Plain ID number (write-only); '' clears it.")
    mobile: str | None = None
    email: str | None = None
    address: str | None = None
    employer: str | None = None
    job_title: str | None = None
    marital_status: MARITAL | None = None
    card_no: str | None = None
    nature: NATURE | None = None
    business: str | None = None
    legal_representative: str | None = None
    main_needs: str | None = None
    agreed_room_rate: Decimal | None = Field(None, ge=0)
    discount_rate: Decimal | None = Field(None, gt=0, le=1, description="0.85 means 15 % off.")
    payment_method: str | None = None
    credit_terms: str | None = None
    temperament: str | None = None
    hobbies: str | None = None
    habits: str | None = None
    religion: str | None = None
    taboos: str | None = None
    special_requests: str | None = None
    owner: int | None = Field(None, description="User id of the account manager; null = shared pool.")
    tags: list[str] | None = None


class CustomerCreate(CustomerFields):
    property: str | None = Field(None, description="Property code; may be left out by staff of one property.")
    name: str


class CustomerPatch(CustomerFields):
    pass


class OwnerOut(Schema):
    id: int
    username: str
    name: str


class CustomerSummary(Schema):
    id: int
    property: str
    customer_code: str
    kind: str
    name: str
    gender: str
    mobile: str = Field(description="Masked unless the role may see full numbers.")
    employer: str
    job_title: str
    card_no: str
    owner: OwnerOut | None
    tags: list[str]
    updated_at: dt.datetime


class CustomerOut(CustomerSummary):
    name_pinyin: str
    birth_date: dt.date | None
    nationality: str
    id_type: str
    id_number_masked: str
    email: str
    address: str
    marital_status: str
    nature: str
    business: str
    legal_representative: str
    main_needs: str
    agreed_room_rate: Decimal | None
    discount_rate: Decimal | None
    payment_method: str
    credit_terms: str
    temperament: str
    hobbies: str
    habits: str
    religion: str
    taboos: str
    special_requests: str
    created_at: dt.datetime
    can_edit: bool
    group_account: int | None = Field(description="Files of other properties linked as one group account (R-1.1).")


class SearchHitOut(Schema):
    score: int
    match: str = Field(description="What matched: mobile, mobile_last4, id, card, name, pinyin, initials.")
    customer: CustomerSummary


DETAIL_FIELDS = [
    "name_pinyin", "birth_date", "nationality", "id_type", "id_number_masked", "email", "address",
    "marital_status", "nature", "business", "legal_representative", "main_needs", "agreed_room_rate",
    "discount_rate", "payment_method", "credit_terms", "temperament", "hobbies", "habits", "religion", "taboos",
    "special_requests", "created_at", "group_account_id",
]


def shown_mobile(mobile: str, user) -> str:
    return masking.shown_mobile(user, mobile)


def owner_out(owner) -> dict | None:
    if owner is None:
        return None
    return {"id": owner.pk, "username": owner.username, "name": owner.label}


def customer_summary(c: Customer, user) -> dict:
    """Expects owner and property selected and tags prefetched."""
    return {
        "id": c.pk, "property": c.property.code, "customer_code": c.customer_code, "kind": c.kind,
        "name": c.name, "gender": c.gender, "mobile": shown_mobile(c.mobile, user), "employer": c.employer,
        "job_title": c.job_title, "card_no": c.card_no, "owner": owner_out(c.owner),
        "tags": sorted(t.name for t in c.tags.all()), "updated_at": c.updated_at,
    }


def customer_detail(c: Customer, user, can_edit: bool) -> dict:
    data = customer_summary(c, user)
    data.update({f.removesuffix("_id"): getattr(c, f) for f in DETAIL_FIELDS})
    data["can_edit"] = can_edit
    return data


# ---- contacts ------------------------------------------------------------------------

class ContactAdd(In):
    person_id: int | None = Field(None, description="An existing person file; or give `person` to create one.")
    person: CustomerFields | None = Field(None, description="A new person file (name required).")
    title: str = ""
    is_primary: bool = False


class ContactPerson(Schema):
    id: int | None = Field(description="Null when the person's file is not open to you.")
    name: str
    mobile: str
    job_title: str
    visible: bool = Field(description="Whether the person's own file is open to you; if not, nothing of it "
                                      "is shown.")


class ContactOut(Schema):
    id: int
    title: str
    is_primary: bool
    person: ContactPerson


def contact_out(link, user, visible_ids) -> dict:
    p = link.person
    if p.pk in visible_ids:
        person = {"id": p.pk, "name": p.name, "mobile": masking.shown_mobile(user, p.mobile),
                  "job_title": p.job_title, "visible": True}
    else:  # nothing of a file the user may not open, as in the change history
        person = {"id": None, "name": str(masking.HIDDEN_FILE), "mobile": "", "job_title": "", "visible": False}
    return {"id": link.pk, "title": link.title, "is_primary": link.is_primary, "person": person}


# ---- preferences ---------------------------------------------------------------------

class PreferenceIn(In):
    category: PREF_CATEGORY
    value: str


class PreferenceOut(Schema):
    id: int
    category: str
    category_label: str
    value: str
    created_by: str | None
    created_at: dt.datetime


def preference_out(p: Preference) -> dict:
    return {
        "id": p.pk, "category": p.category, "category_label": str(p.get_category_display()), "value": p.value,
        "created_by": p.created_by.label if p.created_by else None, "created_at": p.created_at,
    }


# ---- special dates -------------------------------------------------------------------

class SpecialDateFields(In):
    kind: DATE_KIND | None = None
    label: str | None = None
    calendar: CALENDAR | None = None
    year: int | None = None
    month: int | None = None
    day: int | None = None
    leap_month: bool | None = None
    remind_days: int | None = Field(None, ge=0, le=60)


class SpecialDateIn(SpecialDateFields):
    month: int
    day: int


class SpecialDatePatch(SpecialDateFields):
    pass


class SpecialDateOut(Schema):
    id: int
    kind: str
    kind_label: str
    label: str
    calendar: str
    year: int | None
    month: int
    day: int
    leap_month: bool
    remind_days: int
    description: str
    next_occurrence: dt.date
    days_until: int
    reminder_due: bool = Field(description="The next occurrence is within `remind_days` days.")


def special_date_out(s: SpecialDate, today: dt.date) -> dict:
    from yingke.customers.lunar import describe
    from yingke.customers.reminders import occurrence

    o = occurrence(s, today)
    return {
        "id": s.pk, "kind": s.kind, "kind_label": str(s.get_kind_display()), "label": s.label,
        "calendar": s.calendar, "year": s.year, "month": s.month, "day": s.day, "leap_month": s.leap_month,
        "remind_days": s.remind_days, "description": describe(s), "next_occurrence": o.date, "days_until": o.days,
        "reminder_due": o.due,
    }


# ---- notes ---------------------------------------------------------------------------

class NoteIn(In):
    kind: NOTE_KIND = "note"
    text: str
    outlet: str | None = Field(None, description="Outlet code in the customer's property.")


class OutletOut(Schema):
    code: str
    name: str


class NoteOut(Schema):
    id: int
    kind: str
    kind_label: str
    text: str
    outlet: OutletOut | None
    author: str | None
    created_at: dt.datetime


def note_out(n: Note) -> dict:
    return {
        "id": n.pk, "kind": n.kind, "kind_label": str(n.get_kind_display()), "text": n.text,
        "outlet": {"code": n.outlet.code, "name": n.outlet.name} if n.outlet else None,
        "author": n.author.label if n.author else None, "created_at": n.created_at,
    }


# ---- change history ------------------------------------------------------------------

class ChangeOut(Schema):
    when: dt.datetime
    who: str
    action: Literal["created", "changed", "deleted"]
    subject: str = Field(description="What changed: the file itself, a preference, a note …")
    field: str
    before: str
    after: str


# ---- staff and tokens ----------------------------------------------------------------

class PropertyOut(Schema):
    code: str
    name: str
    kind: str


class MeOut(Schema):
    id: int
    username: str
    name: str
    role: str
    role_label: str
    properties: list[PropertyOut]
    sees_full_mobile: bool
    can_export: bool


class TokenIn(In):
    name: str = Field("", max_length=100)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


class NewTokenOut(TokenOut):
    key: str = Field(description="The secret key; shown only once.")


class Message(Schema):
    detail: str


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None
