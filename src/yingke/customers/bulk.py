"""Fast creation of many guest files at once (imports, R-3.2, R-12.4).

    problems = check_new(actor, customer, id_number)   # [(field, message)], nothing written
    create_many(actor, customers, reason="import x.csv")  # ids assigned, rows written in bulk

A file made here is indistinguishable from one made by services.save_customer: the same
normalised fields (services.normalise: mobile and its last 4, card number, pinyin sort
key, encrypted ID with its blind index and mask, R-2.9, R-12.1), created_by and owner
rules (R-6.1), the same search keys (R-2.7), a "+" history record with the same user and
change reason, and for tags the same "~" record that adding them makes (R-12.3). The
rows go in with core.db.insert_rows (COPY on PostgreSQL, one executemany on SQLite):
the ids are reserved first, so the search keys, tags and history are written in bulk too.

Also here, because save_customer uses them as well: `clean_fields` (Model.full_clean's
field checks, without rebuilding a validator chain for values that cannot fail) and
`normalize_mobile` (the common 11-digit mainland form without a phonenumbers parse); and
`new_customer`, Customer(**values) without Model.__init__'s work per field. Each answers
exactly as the slow path it skips (tests/customers/test_bulk_fast_paths_give_the_same_answers.py).
"""

import datetime as dt
import re
from decimal import Decimal
from functools import cache, lru_cache
from operator import itemgetter

from django.conf import settings
from django.core import validators as dj_validators
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.core import permissions
from yingke.core.db import insert_rows, reserve_ids
from yingke.core.permissions import CREATE
from yingke.core.roles import FILE_EDITORS
from yingke.customers import identity
from yingke.customers.models import Customer, SearchKey, Tag
from yingke.customers.pinyin import search_keys

__all__ = ["check_new", "clean_fields", "create_many", "new_customer", "normalize_mobile"]


# ---- field checks -----------------------------------------------------------------------

_SIMPLE_VALIDATORS = (dj_validators.MaxLengthValidator, dj_validators.ProhibitNullCharactersValidator)


def _plain_text(field) -> bool:
    """A text field whose only checks are its length, NUL characters, blank and choices."""
    from django.db.models import CharField, TextField

    return (type(field).to_python in (CharField.to_python, TextField.to_python)
            and all(type(v) in _SIMPLE_VALIDATORS for v in field.validators))


PLAIN, STAMP, OTHER = 0, 1, 2


@cache
def _field_plan(model, exclude: frozenset):
    """(field, attname, kind, max_length, choices, blank) for each concrete field not excluded."""
    from django.db.models import DateTimeField

    plan = []
    for f in model._meta.concrete_fields:
        if f.name in exclude:
            continue
        choices = frozenset(str(v) for v, _label in f.flatchoices) if f.choices else None
        if _plain_text(f):
            kind = PLAIN
        elif type(f) is DateTimeField and not f.validators and not f.choices:
            kind = STAMP  # field.clean returns an aware datetime as it is
        else:
            kind = OTHER
        plan.append((f, f.attname, kind, f.max_length, choices, f.blank))
    return tuple(plan)


# (attname, type, value) of values another field.clean already accepted unchanged. A value
# valid once stays valid (the one time-dependent check, a birth date not in the future,
# only widens as days pass).
_ACCEPTED: set = set()
_ACCEPTED_MAX = 50_000


def clean_fields(obj, exclude=()) -> dict[str, list[str]]:
    """Model.clean_fields(exclude) as {field: [messages]}, values cleaned in place.

    A plain text field (CharField/TextField with only the length and NUL checks) holding a
    str is checked inline, an aware datetime in a DateTimeField without validators is
    taken as it is, and a value another call accepted unchanged is remembered; for every
    other value, and whenever the inline check fails, Django's own field.clean runs, so
    every message is Django's. The model's unique constraints are not checked here
    (full_clean skips them too when the property is excluded): the database refuses a
    taken code (services: Conflict).
    """
    errors: dict[str, list[str]] = {}
    values = obj.__dict__
    for f, attname, kind, max_length, choices, blank in _field_plan(type(obj), frozenset(exclude)):
        value = values[attname] if attname in values else getattr(obj, attname)
        memo = None
        if kind == PLAIN and type(value) is str:
            if not value:
                if blank:
                    continue
            elif (max_length is None or len(value) <= max_length) and "\x00" not in value \
                    and (choices is None or value in choices):
                continue
        elif kind == STAMP and type(value) is dt.datetime and value.tzinfo is not None:
            continue
        else:
            if blank and value in f.empty_values:
                continue
            # Decimals by their text: 0 and 0.000 are equal but not equally valid.
            memo = (attname, type(value), str(value) if type(value) is Decimal else value)
            try:
                if memo in _ACCEPTED:
                    continue
            except TypeError:  # unhashable: no memo
                memo = None
        try:
            cleaned = f.clean(value, obj)
        except ValidationError as e:
            errors[f.name] = e.messages
            continue
        setattr(obj, attname, cleaned)
        if memo is not None and kind == OTHER and type(cleaned) is type(value) and cleaned == value:
            if len(_ACCEPTED) >= _ACCEPTED_MAX:
                _ACCEPTED.clear()
            _ACCEPTED.add(memo)
    if type(obj).clean is not Model.clean:  # a model-level check, as full_clean would run it
        try:
            obj.clean()
        except ValidationError as e:
            pairs = e.message_dict.items() if hasattr(e, "error_dict") else [("__all__", e.messages)]
            for field, messages in pairs:  # services.normalise named "__all__" errors after the code
                errors.setdefault("customer_code" if field == "__all__" else field, []).extend(messages)
    return errors


# ---- building -------------------------------------------------------------------------------

@cache
def _blank_customer():
    """The attribute values of Customer() and the fields whose default is computed per file."""
    from django.db.models.fields import NOT_PROVIDED

    proto = Customer()
    values = {k: v for k, v in proto.__dict__.items() if k != "_state"}
    per_instance = tuple((f.attname, f.default) for f in Customer._meta.concrete_fields
                         if f.default is not NOT_PROVIDED and callable(f.default))
    plain = frozenset(f.attname for f in Customer._meta.concrete_fields if not f.is_relation)
    names = plain | frozenset(f.name for f in Customer._meta.concrete_fields) | \
        frozenset(f.attname for f in Customer._meta.concrete_fields)
    return values, per_instance, names, plain


def new_customer(**values) -> Customer:
    """Customer(**values), about five times faster (imports build one per row): the blank
    file's attribute values are copied, callable defaults (created_at, consumption) are
    called for each file unless given, and `values` are set through the model's attributes
    (a foreign key given as an object sets its id, as in Model.__init__). Customer has no
    pre_init/post_init receivers to skip."""
    from django.db.models.base import ModelState

    blank, per_instance, names, plain = _blank_customer()
    unknown = set(values) - names
    if unknown:
        raise TypeError(f"Customer has no field(s) {', '.join(sorted(unknown))}")
    obj = Customer.__new__(Customer)
    d = obj.__dict__
    d.update(blank)
    d["_state"] = ModelState()
    for attname, default in per_instance:
        if attname not in values:  # a given created_at: no timezone.now() per file (~4 % of an import)
            d[attname] = default()
    for key, value in values.items():
        if key in plain:
            d[key] = value
        else:  # a foreign key: its descriptor sets the id and the cache
            setattr(obj, key, value)
    return obj


# ---- mobiles ------------------------------------------------------------------------------

# The plain forms staff paste: 13812345678, 138 1234 5678, 138-1234-5678, +86 / 0086 / 86 first.
_MAINLAND = re.compile(r"(?:\+86|0086|86)?(1(?:[3-68-9]\d|7[0-8])\d{8})")


@lru_cache(maxsize=1000)
def _mobile_prefix_ok(prefix: str) -> bool:
    """Whether identity.normalize_mobile accepts the 11-digit mainland numbers starting with
    these 5 digits: phonenumbers' Chinese mobile ranges are decided by at most the first 5
    (tests/customers/test_bulk_fast_paths_give_the_same_answers.py holds this)."""
    sample = prefix + "000000"
    try:
        return identity.normalize_mobile(sample) == sample
    except ValidationError:
        return False


def normalize_mobile(raw) -> str:
    """identity.normalize_mobile, skipping the phonenumbers parse for the usual mainland
    forms (11 digits from 13–19, 179 excepted: 179xx is a carrier prefix); every other
    input, and every one that fails, goes through identity.normalize_mobile unchanged."""
    if type(raw) is str and raw.isascii():
        m = _MAINLAND.fullmatch(raw.replace(" ", "").replace("-", ""))
        if m is not None and _mobile_prefix_ok(m.group(1)[:5]):
            return m.group(1)
    return identity.normalize_mobile(raw)


# ---- checking a new file ------------------------------------------------------------------

def _assign_problems(actor, customer, cache=None) -> list[tuple[str, str]]:
    """permissions.require_assign for a new file, remembered per owner in `cache`."""
    key = (customer.property_id, customer.owner_id)
    if cache is not None and key in cache:
        return cache[key]
    try:
        permissions.require_assign(actor, customer, customer.owner)
        out = []
    except ValidationError as e:
        out = _pairs(e)
    if cache is not None:
        cache[key] = out
    return out


def _pairs(error: ValidationError) -> list[tuple[str, str]]:
    if hasattr(error, "error_dict"):
        return [(f, m) for f, msgs in error.message_dict.items() for m in msgs]
    return [("", m) for m in error.messages]


def check_new(actor, customer: Customer, id_number=None, *, owners: dict | None = None) -> list[tuple[str, str]]:
    """Every check services.save_customer makes for a new file, as (field, message) pairs,
    nothing written: the owner rules (R-6.1) and services.normalise (field validation,
    mobile, ID number, R-2.9). The customer is normalised in place as save_customer would
    (ID encrypted, pinyin key set) and marked, so create_many does not do it again.

    `id_number` is the plain ID number (services.UNCHANGED or None: none given).
    `owners` is an optional dict the caller keeps across calls to remember the owner
    rule's answer per (property, owner): one query per owner instead of per row.
    A taken customer code is not checked (the database refuses it; callers look their
    batch's codes up in one query); a file without a code gets one from create_many.
    """
    from yingke.customers import services

    if id_number is None:
        id_number = services.UNCHANGED
    problems = _assign_problems(actor, customer, owners)
    codeless = not customer.customer_code  # create_many gives it a fresh code, as save_customer does
    if codeless:
        customer.customer_code = "G00000000000"
    try:
        services.normalise(customer, id_number)
    except ValidationError as e:
        problems = [*problems, *_pairs(e)]
    if codeless:
        customer.customer_code = ""
    customer._bulk_checked = not problems
    return problems


# ---- writing -------------------------------------------------------------------------------

def edit_refused_message() -> str:
    """What permissions.require(EDIT) says to a role that may not change files."""
    return _("Your role may look at this file and annotate it, but not change its regular information.")


def may_edit_new_files(actor) -> bool:
    """EDIT on a file the actor just created (its owner is one they may assign, so they see
    it): the role decides (R-1.2)."""
    return permissions.is_system(actor) or (permissions.is_staff(actor) and actor.role in FILE_EDITORS)


@cache
def _columns():
    customer = [f.attname for f in Customer._meta.concrete_fields]
    history_model = Customer.history.model
    tracked = [f.attname for f in history_model.tracked_fields]
    history = ["history_id", "history_date", "history_change_reason", "history_type", "history_user_id", *tracked]
    m2m_history = next(r.related_model for r in history_model._meta.related_objects if r.field.name == "history")
    return customer, tracked, history, history_model, m2m_history


def _give_codes(customers: list[Customer]) -> None:
    """Fresh codes (services.new_customer_code's form) for files created without one,
    unique in the database and among themselves: one query per property and round."""
    from yingke.customers import services

    by_property: dict[int, list[Customer]] = {}
    for c in customers:
        by_property.setdefault(c.property_id, []).append(c)
    for property_id, todo in by_property.items():
        for _attempt in range(20):
            candidates = list(dict.fromkeys(services.new_code_candidate() for _c in todo))
            taken = set(Customer.objects.filter(property_id=property_id, customer_code__in=candidates)
                        .values_list("customer_code", flat=True))
            free = [code for code in candidates if code not in taken]
            for c, code in zip(todo, free, strict=False):
                c.customer_code = code
            todo = todo[len(free):]
            if not todo:
                break
        else:
            raise RuntimeError("could not find free customer codes")


@transaction.atomic
def create_many(actor, customers: list[Customer], *, reason: str, import_run=None,
                tags: list[list[Tag]] | None = None) -> list[Customer]:
    """Create new files in bulk; returns them with ids.

    The customers are unsaved, with their property set and unique codes; values are
    normally already checked by check_new (a customer not marked by it is checked here,
    and a problem raises ValidationError, nothing written). Permissions: CREATE in each
    property once, the owner rules once per owner; tags need EDIT on the new file like
    services.add_tags. The change reason of each history record is the customer's own
    `_change_reason` when set (an import names the line), else `reason`.
    `tags[i]` (optional) are Tag objects of the same property added to customers[i];
    `import_run` is accepted for the engine's bookkeeping (files record no run).
    """
    from yingke.customers import services

    if not customers:
        return []
    if tags is not None and len(tags) != len(customers):
        raise ValueError("tags must have one list per customer")
    for prop in {c.property for c in customers}:
        permissions.require(actor, CREATE, prop)
    owners: dict = {}
    for c in customers:
        if c.pk is not None:
            raise ValueError("create_many takes new customers only")
        if getattr(c, "_bulk_checked", False):
            problems = _assign_problems(actor, c, owners)
        else:
            problems = check_new(actor, c, owners=owners)
        if problems:
            errors: dict[str, list[str]] = {}
            for field, message in problems:
                errors.setdefault(field or "customer_code", []).append(message)
            raise ValidationError(errors)
    if tags and any(tags):
        if not may_edit_new_files(actor):
            raise PermissionDenied(edit_refused_message())
        if any(t.property_id != c.property_id for c, ts in zip(customers, tags, strict=True) for t in ts):
            raise ValidationError({"tags": [_("A tag of another property cannot be used here.")]})

    now = timezone.now()
    user = permissions.history_user(actor)
    user_id = user.pk if user is not None else None
    created_by = actor if permissions.is_staff(actor) else None
    customer_cols, tracked, history_cols, history_model, m2m_history_model = _columns()
    customer_values, tracked_values = itemgetter(*customer_cols), itemgetter(*tracked)

    _give_codes([c for c in customers if not c.customer_code])
    ids = reserve_ids(Customer, len(customers))
    rows, key_rows = [], []
    for c, pk in zip(customers, ids, strict=True):
        c.pk = pk
        if created_by is not None:
            c.created_by = created_by
        c.updated_at = now
        rows.append(customer_values(c.__dict__))
        key_rows.extend((pk, c.property_id, kind, key) for kind, key in search_keys(c.name))
    insert_rows(Customer, customer_cols, rows)
    insert_rows(SearchKey, ["customer_id", "property_id", "kind", "key"], key_rows)

    tagged = [(c, list(dict.fromkeys(ts))) for c, ts in zip(customers, tags or [], strict=False) if ts]
    history_ids = reserve_ids(history_model, len(customers) + len(tagged))
    history_rows = []
    for c, hid in zip(customers, history_ids, strict=False):
        history_rows.append((hid, now, getattr(c, "_change_reason", None) or reason, "+", user_id,
                             *tracked_values(c.__dict__)))
    if tagged:
        through = Customer.tags.through
        pairs = [(c, t) for c, ts in tagged for t in ts]
        through_ids = reserve_ids(through, len(pairs))
        insert_rows(through, ["id", "customer_id", "tag_id"],
                    [(tid, c.pk, t.pk) for tid, (c, t) in zip(through_ids, pairs, strict=True)])
        # Adding tags to a file records a "~" with the tags (simple_history's m2m_changed).
        change_ids = dict(zip((c.pk for c, _ts in tagged), history_ids[len(customers):], strict=True))
        for c, _ts in tagged:
            history_rows.append((change_ids[c.pk], now, getattr(c, "_change_reason", None) or reason, "~",
                                 user_id, *tracked_values(c.__dict__)))
        m2m_rows = [(tid, c.pk, t.pk, change_ids[c.pk]) for tid, (c, t) in zip(through_ids, pairs, strict=True)]
    if getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        insert_rows(history_model, history_cols, history_rows)
    if tagged and getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        insert_rows(m2m_history_model, ["id", "customer_id", "tag_id", "history_id"], m2m_rows)
    for c in customers:
        c._state.adding = False
        c._state.db = "default"
        services._stamp(c, actor)
    return customers
