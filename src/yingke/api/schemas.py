"""Request and response schemas, and the functions that turn models into responses.

Request fields, their types and limits (length, choices, ranges, nullability) are derived
from the Django model fields by `model_fields`, so that a limit is written once, in the
model, and the OpenAPI document states exactly what the server accepts. Responses never
carry the plain ID number (only `id_number_masked`); `mobile` is masked for roles without
the right to see full numbers (R-12.1).
"""

import calendar
import datetime as dt
import math
import re
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any, Literal

from annotated_types import Interval
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Strict,
    WithJsonSchema,
    create_model,
    field_validator,
)
from pydantic.fields import FieldInfo

from yingke.api.errors import (
    ErrorOut,  # noqa: F401 (the routers import it from here)
    unstorable,
)
from yingke.control.pattern import is_overdue
from yingke.core.models import Outlet, Property
from yingke.customers import masking
from yingke.customers.models import (
    PATTERN_FIELDS,
    ContactLink,
    Customer,
    Note,
    Preference,
    SpecialDate,
    Tag,
    validate_birth_date,
)


def choice(choices) -> type:
    """A Literal of a TextChoices' values (inline enum in OpenAPI, no name clashes)."""
    return Literal.__getitem__(tuple(choices.values))


KIND = choice(Customer.Kind)


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


def _first_unstorable(value) -> str | None:
    if isinstance(value, str):
        return unstorable(value)
    if isinstance(value, list | tuple):
        return next((m for m in map(_first_unstorable, value) if m), None)
    if isinstance(value, dict):
        return next((m for m in map(_first_unstorable, [*value, *value.values()]) if m), None)
    return None


class Clean(Schema):
    """Input whose strings can be stored: no NUL, no lone surrogate (errors.unstorable).

    Bodies are also checked as a whole by errors.JsonParser; this covers query parameters.
    """

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value):
        message = _first_unstorable(value)
        if message:
            raise ValueError(message)
        return value


class In(Clean):
    """Request bodies reject unknown fields, so a typo is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


# ---- request fields derived from the models -----------------------------------------

# Documented in the schema for every text field; Clean enforces it with its own message.
STORABLE = r"^[^\x00]*$"
# Required text that the services trim (clean_name, strip): blank after trimming is refused.
NOT_BLANK = r"^[^\x00]*[^\x00\s][^\x00]*$"
INT_RANGES = BaseDatabaseOperations.integer_field_ranges


def _range_regex(lo: int, hi: int, width: int, dot: int = 0) -> str:
    """A regex (without anchors) for the zero-padded numbers lo..hi of `width` digits; with
    `dot`, a decimal point stands before the last `dot` digits."""

    def digit(remaining: int, pattern: str) -> str:
        return (r"\." if dot and remaining == dot else "") + pattern

    def span(a: int, c: int) -> str:
        return f"[{a}-{c}]" if a < c else str(a)

    def tail(n: int) -> str:
        return "".join(digit(r, r"\d") for r in range(n, 0, -1))

    if width == 1:
        return digit(1, span(lo, hi))
    p = 10 ** (width - 1)
    (a, b), (c, d) = divmod(lo, p), divmod(hi, p)
    if b == 0 and d == p - 1:
        return digit(width, span(a, c)) + tail(width - 1)
    if a == c:
        return digit(width, str(a)) + f"(?:{_range_regex(b, d, width - 1, dot)})"
    parts = [digit(width, str(a)) + f"(?:{_range_regex(b, p - 1, width - 1, dot)})"]
    if c - a > 1:
        parts.append(digit(width, span(a + 1, c - 1)) + tail(width - 1))
    parts.append(digit(width, str(c)) + f"(?:{_range_regex(0, d, width - 1, dot)})")
    return "|".join(parts)


def decimal_pattern(lo: Decimal, hi: Decimal, places: int, int_digits: int) -> str:
    """A regex for the plain decimal strings from `lo` to `hi` (both >= 0) with at most
    `places` decimals: "880", "880.5", "0.85" — no sign, exponent or padding."""
    alternatives = []
    for k in range(places + 1):  # k decimals: the digits read as one integer in units of 10**-k
        first, last = math.ceil(lo.scaleb(k)), math.floor(hi.scaleb(k))
        for width in range(k + 1, int_digits + k + 1):
            a, b = max(first, 10 ** (width - 1) if width > k + 1 else 0), min(last, 10**width - 1)
            if a <= b:
                alternatives.append(_range_regex(a, b, width, dot=k))
    return "^(?:" + "|".join(alternatives) + ")$"


def date_range_pattern(lo: dt.date, hi: dt.date) -> str:
    """A regex for ISO dates from `lo` (a 1 January) to `hi`; 'format: date' rules out 31 February.

    Computed when the schema is built: later the real limit is only later, so the pattern
    never admits a date that the model refuses.
    """
    assert (lo.month, lo.day) == (1, 1)
    alternatives = [rf"(?:{_range_regex(lo.year, hi.year - 1, 4)})-\d\d-\d\d"] if hi.year > lo.year else []
    if hi.month > 1:
        alternatives.append(rf"{hi.year}-(?:{_range_regex(1, hi.month - 1, 2)})-\d\d")
    alternatives.append(rf"{hi.year}-{hi.month:02d}-(?:{_range_regex(1, hi.day, 2)})")
    return "^(?:" + "|".join(alternatives) + ")$"


# Date validators of the models and the range each enforces, as (first, last) for today.
DATE_RANGES = {validate_birth_date: lambda: (dt.date(1900, 1, 1), timezone.localdate())}


def _no_text(message):
    """JSON numbers, booleans and dates are not coerced from other types (a schema-invalid
    request is refused, as the schema says)."""

    def check(value):
        if isinstance(value, str | bool):
            raise ValueError(message())
        return value

    return BeforeValidator(check)


def _decimal_input(pattern: str):
    def check(value):
        if isinstance(value, bool) or (isinstance(value, str) and not re.fullmatch(pattern, value)):
            raise ValueError(_("Enter a number."))
        return value

    return check


def _iso_date(value):
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(_("Enter a valid date (YYYY-MM-DD)."))
    return value


def _quantize(places: int):
    quantum = Decimal(1).scaleb(-places)
    return AfterValidator(lambda v: v if v is None else v.quantize(quantum, rounding=ROUND_HALF_EVEN))


def _bounds(field) -> tuple[Any, Any]:
    lo, hi = INT_RANGES.get(field.get_internal_type(), (None, None))
    for v in field._validators:  # the model's own validators, not the database's
        limit = v.limit_value
        if isinstance(v, MinValueValidator) and not callable(limit):
            lo = limit if lo is None else max(lo, limit)
        if isinstance(v, MaxValueValidator) and not callable(limit):
            hi = limit if hi is None else min(hi, limit)
    return lo, hi


def object_id(model) -> type:
    """The id of a `model` row in a request: a positive integer within its column's range."""
    lo, hi = INT_RANGES[model._meta.pk.get_internal_type()]
    return Annotated[int, Interval(ge=max(lo, 1), le=hi), _no_text(lambda: _("Enter a whole number."))]


def model_field(field: models.Field, *, required: bool = False, nullable: bool | None = None, ge=None, le=None,
                default=None, **schema: Any) -> tuple[Any, FieldInfo]:
    """(annotation, FieldInfo) of a request field for a Django model field.

    Types and limits come from the model: max_length, choices, Min/MaxValueValidator and
    the column's integer range (or `ge`/`le` where a service narrows it), max_digits and
    decimal_places, date validators in DATE_RANGES.
    Text that the model requires must not be blank; text that may be blank accepts null
    for "". `schema` adds JSON-schema keywords (documentation only) or overrides them.
    """
    kw: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    if field.is_relation:  # a foreign key by id
        typ = object_id(field.related_model)
    elif isinstance(field, models.CharField | models.TextField):
        if field.choices:
            typ = Literal.__getitem__(tuple(str(v) for v, _label in field.flatchoices))
        else:
            typ = str
            if field.max_length:
                kw["max_length"] = field.max_length
            extra["pattern"] = STORABLE if field.blank else NOT_BLANK
            if not field.blank:
                kw["min_length"] = 1
            if isinstance(field, models.EmailField):
                extra["format"] = "email"
    elif isinstance(field, models.BooleanField):
        typ = Annotated[bool, Strict()]
    elif isinstance(field, models.DecimalField):
        # A JSON number (rounded to the column's places: binary floats rarely hit them exactly)
        # or an exact decimal string with at most those places.
        places = field.decimal_places
        lo, hi = _bounds(field)
        top = Decimal(10) ** (field.max_digits - places) - Decimal(1).scaleb(-places)
        hi = top if hi is None else min(Decimal(hi), top)
        lo = Decimal(0) if lo is None else Decimal(lo)  # no negative amounts in this product
        text = decimal_pattern(lo, hi, places, field.max_digits - places)
        typ = Annotated[Decimal, Interval(ge=lo, le=hi), BeforeValidator(_decimal_input(text)), _quantize(places),
                        WithJsonSchema({"anyOf": [{"type": "number", "minimum": float(lo), "maximum": float(hi)},
                                                  {"type": "string", "pattern": text}]})]
        extra["description"] = f"From {lo} to {hi}; a number is rounded to {places} decimal places."
    elif isinstance(field, models.IntegerField):
        lo, hi = _bounds(field)
        lo, hi = (lo if ge is None else ge), (hi if le is None else le)  # a service's narrower rule
        typ = Annotated[int, Interval(ge=lo, le=hi), _no_text(lambda: _("Enter a whole number."))]
    elif isinstance(field, models.DateField):
        typ = Annotated[dt.date, BeforeValidator(_iso_date)]
        for validator in field.validators:
            if validator in DATE_RANGES:
                first, last = DATE_RANGES[validator]()
                extra["pattern"] = date_range_pattern(first, last)
                extra["description"] = f"From {first.isoformat()} to today."
    else:
        raise TypeError(f"no request type for {field!r}")
    if nullable is None:  # null stands for "" in text that may be blank
        nullable = field.null or (field.blank and not isinstance(field, models.BooleanField))
    if nullable:
        typ = typ | None
    extra.update(schema)
    if "description" in extra:
        kw["description"] = extra.pop("description")
    elif field.help_text:
        kw["description"] = str(field.help_text)
    return typ, Field(... if required else default, json_schema_extra=extra or None, **kw)


def model_fields(model, names, *, required=(), defaults=False,
                 **per_field: dict) -> dict[str, tuple[Any, FieldInfo]]:
    """model_field for each name; `per_field[name]` passes arguments to model_field.

    With `defaults`, a field left out takes the model's default (for creating a row).
    """
    out = {}
    for name in names:
        field = model._meta.get_field(name)
        args = dict(per_field.get(name, {}))
        if defaults and field.has_default() and not callable(field.default):
            args.setdefault("default", field.default)
        out[name] = model_field(field, required=name in required, **args)
    return out


def editable_fields(model, exclude=()) -> list[str]:
    """The fields of `model` that a person types in: concrete, editable, not keys or stamps."""
    return [f.name for f in model._meta.concrete_fields
            if f.editable and not f.primary_key and not f.is_relation and f.name not in exclude]


def request_schema(name: str, fields: dict, base=In, **attrs) -> type[In]:
    return create_model(name, __base__=base, **fields, **attrs)


# ---- customers -----------------------------------------------------------------------

CUSTOMER_FIELDS = editable_fields(Customer)
MOBILE_NOTE = ("A real mobile number: mainland 11 digits (spaces and dashes ignored) or +country code; "
               "any other is 422.")
ID_NOTE = ("Plain ID number (write-only); '' or null clears it. A resident ID card number is checked "
           "(check digit, birth date) and sets birth date and gender; other documents: 5–20 letters or digits.")
CODE_NOTE = "Unique in the property (a duplicate is 409); left out on create, one is made."
_customer_fields = model_fields(
    Customer, CUSTOMER_FIELDS,
    mobile={"description": MOBILE_NOTE},
    customer_code={"nullable": False, "description": CODE_NOTE},
    email={"description": "An e-mail address as Django's EmailValidator accepts it."},
)
_customer_fields.update(
    id_number=(str | None, Field(None, max_length=40, description=ID_NOTE, json_schema_extra={"pattern": STORABLE})),
    owner=model_field(Customer._meta.get_field("owner"),
                      description="User id of an account manager you may assign; null = shared pool."),
    module=model_field(Customer._meta.get_field("module"),
                       description="Id of a customer module in use of the file's property (R-5.1); null = none."),
    tags=(list[Annotated[str, Field(max_length=Tag._meta.get_field("name").max_length,
                                    json_schema_extra={"pattern": STORABLE})]] | None,
          Field(None, description="Tag names of the file's property; new ones are created.")),
)
CustomerFields = request_schema("CustomerFields", _customer_fields)
CustomerPatch = request_schema("CustomerPatch", _customer_fields)
CustomerCreate = request_schema("CustomerCreate", {
    **_customer_fields, **model_fields(Customer, ["kind", "nationality"], defaults=True),
    "name": model_field(Customer._meta.get_field("name"), required=True),
    "property": (str | None, Field(None, max_length=Property._meta.get_field("code").max_length,
                                   description="Property code; may be left out by staff of one property.",
                                   json_schema_extra={"pattern": STORABLE})),
})
# A new contact person's own file: the organisation's property, owner and kind.
ContactPersonIn = request_schema("ContactPersonIn", {
    name: value for name, value in _customer_fields.items() if name not in ("owner", "tags", "kind", "module")
} | {"name": model_field(Customer._meta.get_field("name"), required=True)})


class OwnerOut(Schema):
    id: int
    username: str
    name: str


GRADE_OUT = Literal["A", "B", "C", "D", ""]


class ModuleRef(Schema):
    id: int
    name: str


def module_out(c: Customer) -> dict | None:
    """The file's module as {id, name}; select or prefetch `module` to avoid a query per file."""
    if c.module_id is None:
        return None
    return {"id": c.module_id, "name": c.module.name}


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
    # The consumption profile (R-2.3): derived from visits and stays, never typed.
    visit_count: int = Field(description="Visits (voided ones and refunds not counted).")
    total_spend: Decimal = Field(description="Sum of the amounts, refunds deducted.")
    average_spend: Decimal
    first_visit_at: dt.datetime | None
    last_visit_at: dt.datetime | None
    stay_count: int
    nights: int
    refund_count: int
    refund_total: Decimal = Field(description="Refunded in total (a positive sum).")
    # Grading (R-4) and the customer module (R-5.1): read-only here.
    grade: GRADE_OUT = Field(description="The grade in force: a general manager's override when there is one, "
                                         "else the last grading run's; '' before the first run.")
    grade_computed: GRADE_OUT = Field(description="The last grading run's grade; '' before the first run.")
    module: ModuleRef | None = Field(description="The customer module (客户模块), or null.")
    area: str = Field(description="Where the customer is (district, business area); '' when unknown.")
    # The behaviour pattern (R-7.5): derived from visits by control.pattern, read-only.
    usual_interval: int | None = Field(description="Median days between visiting days; null with fewer than "
                                                   "two visiting days.")
    usual_weekday: int | None = Field(ge=0, le=6, description="The usual weekday, 0 = Monday … 6 = Sunday.")
    usual_meal_period: str = Field(description="Code of the usual meal period (e.g. lunch, dinner); '' if none.")
    expected_next_visit: dt.date | None = Field(description="Last visiting day + the usual interval.")
    overdue: bool = Field(description="The expected next visit is before today in the property's time zone.")


class ConsumptionOut(Schema):
    room_types: list[tuple[str, int]] = Field(default_factory=list, description="[name, visits], most first.")
    outlets: list[tuple[str, int]] = Field(default_factory=list)
    channels: list[tuple[str, int]] = Field(default_factory=list)


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
    consumption: ConsumptionOut = Field(description="Room types, outlets and booking channels used (R-2.3).")


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



SUMMARY_PROFILE = ["visit_count", "total_spend", "average_spend", "first_visit_at", "last_visit_at", "stay_count",
                   "nights", "refund_count", "refund_total"]


def owner_out(owner) -> dict | None:
    if owner is None:
        return None
    return {"id": owner.pk, "username": owner.username, "name": owner.label}


def customer_summary(c: Customer, user) -> dict:
    """Expects owner and property selected and tags prefetched."""
    return {
        "id": c.pk, "property": c.property.code, "customer_code": c.customer_code, "kind": c.kind,
        "name": c.name, "gender": c.gender, "mobile": masking.customer_mobile(user, c), "employer": c.employer,
        "job_title": c.job_title, "card_no": c.card_no, "owner": owner_out(c.owner),
        "tags": sorted(t.name for t in c.tags.all()), "updated_at": c.updated_at,
        **{name: getattr(c, name) for name in SUMMARY_PROFILE},
        "grade": c.grade, "grade_computed": c.grade_computed, "module": module_out(c),
        "area": c.area, **{name: getattr(c, name) for name in PATTERN_FIELDS}, "overdue": is_overdue(c),
    }


def customer_detail(c: Customer, user, can_edit: bool) -> dict:
    data = customer_summary(c, user)
    data.update({f.removesuffix("_id"): getattr(c, f) for f in DETAIL_FIELDS})
    data["can_edit"] = can_edit
    data["consumption"] = {k: v for k, v in (c.consumption or {}).items() if k in ("room_types", "outlets", "channels")}
    return data


# ---- contacts ------------------------------------------------------------------------

class ContactAdd(request_schema("ContactFields", model_fields(ContactLink, ["title", "is_primary"], defaults=True))):
    """Exactly one of person_id and person (the endpoint checks it)."""

    person_id: object_id(Customer) = Field(None, description="An existing person file of the organisation's "
                                                                   "property; or give `person` to create one.")
    person: ContactPersonIn = Field(None, description="A new person file (name required).")
    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["person_id"]}, {"required": ["person"]}]})


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
    else:  # nothing of a file the user may not open (R-1.2), as in the change history
        person = {"id": None, "name": str(masking.HIDDEN_FILE), "mobile": "", "job_title": "", "visible": False}
        return {"id": link.pk, "title": "", "is_primary": link.is_primary, "person": person}
    return {"id": link.pk, "title": link.title, "is_primary": link.is_primary, "person": person}


# ---- preferences ---------------------------------------------------------------------

PreferenceIn = request_schema("PreferenceIn", model_fields(Preference, ["category", "value"],
                                                          required=("category", "value")))


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

DATE_FIELDS = editable_fields(SpecialDate)
_date_fields = model_fields(
    SpecialDate, DATE_FIELDS,
    # lunar.validate_spec and services.save_special_date: month 1–12, day up to 31 (30 in the
    # lunar calendar, fewer in short solar months), a year from 1900 to next year.
    month={"ge": 1, "le": 12},
    day={"ge": 1, "le": 31},
    year={"ge": 1900, "le": dt.date.today().year + 1,
          "description": "Year of the first occurrence (e.g. of birth): from 1900 to next year."},
)


def _possible_dates() -> dict:
    """The month/day combinations lunar.validate_spec accepts, as JSON-schema alternatives."""
    by_limit: dict[int, list[int]] = {}
    for month in range(1, 13):
        by_limit.setdefault(calendar.monthrange(2000, month)[1], []).append(month)
    solar = [{"properties": {"calendar": {"const": "solar"}, "leap_month": {"const": False},
                             "month": {"enum": months}, "day": {"maximum": limit}}}
             for limit, months in by_limit.items()]
    return {"anyOf": [{"properties": {"calendar": {"const": "lunar"}, "day": {"maximum": 30}},
                       "required": ["calendar"]}, *solar]}


class _NewDate(In):
    """A possible date: month and day as the calendar allows."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_possible_dates())


class _DateChange(In):
    """Only the fields sent change; a change that makes the date impossible together with its
    stored fields (e.g. day 31 on a date in February) is 422."""


SpecialDateIn = request_schema("SpecialDateIn", {
    **_date_fields, **{n: f for n, f in model_fields(SpecialDate, DATE_FIELDS, defaults=True).items()
                       if n not in ("month", "day", "year")},
    "month": (_date_fields["month"][0], Field(...)), "day": (_date_fields["day"][0], Field(...)),
}, base=_NewDate)
SpecialDatePatch = request_schema("SpecialDatePatch", _date_fields, base=_DateChange)


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

NoteIn = request_schema("NoteIn", {
    **model_fields(Note, ["kind", "text"], required=("text",), defaults=True),
    "outlet": (str | None, Field(None, max_length=Outlet._meta.get_field("code").max_length,
                                 description="Code of an outlet of the guest's property.",
                                 json_schema_extra={"pattern": STORABLE})),
})


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
    action: Literal["created", "changed", "deleted", "merged"] = Field(
        description="`merged`: another file was merged into this one (R-2.8): `before` names it, `after` "
                    "says which values were taken from it; its own earlier records follow with the "
                    "subject 'merged from CODE'.")
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


class Message(Schema):
    detail: str
