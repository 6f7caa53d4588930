"""Merging two files of one guest (R-2.8, R-12.3, R-12.4).

`merge(actor, survivor, merged, choices)` keeps `survivor`, moves everything that belongs to
`merged` onto it, applies the field values chosen from `merged`, records a MergeRecord and
deletes `merged`. Its id then answers with the survivor (`survivor_of`): the UI redirects,
the API answers with the survivor's file.

Rules:
  * both files are of one property and of one kind (person/organisation);
  * the actor must be allowed to EDIT both (core.permissions): a file they may not see is
    NotVisible (404), one they may see but not change is PermissionDenied (403);
  * everything happens in one transaction: any error (bad chosen value, a receiver of
    `files_merged` failing, the database) leaves both files as they were (R-12.4);
  * chosen values go through services.save_customer — validation, normalisation, an ID
    number taken from the merged file is decrypted and encrypted again, owner rules
    (require_assign), search keys — and the survivor's history records the change with the
    actor and the reason "merge" (R-12.3).

Related rows are found, not listed: `relations()` walks Customer._meta.get_fields(
include_hidden=True) and decides for every relation how it moves, so a model that a later
issue points at Customer is moved without anyone remembering it. A relation the walk does
not understand raises `Unmovable`, and tests/customers/test_merge_moves_every_relation.py
fails until someone says how it moves. How each kind moves:
  move        – a foreign key to Customer (visits and stays, notes, preferences, special
                dates, contact links in both directions, tags through their m2m table, merge
                records that named the merged file as survivor, anything added later) and
                the history rows of those children: UPDATE … SET fk = survivor. Rows that
                would break a unique constraint (the survivor already has that tag, that
                contact) and links that would point from the survivor to itself are removed
                first (counted as "dropped"; with a history record where the model has one);
  own_history – the change history of the merged file itself (its HistoricalCustomer rows
                and their tag snapshots) stays under its old id: it is the record of that
                file, and the MergeRecord says where it went;
  rebuild     – search keys: the survivor's are rebuilt from its name after the merge;
  pairs       – dismissed duplicate pairs: re-pointed at the survivor (lower id first),
                without duplicates or a pair of the survivor with itself;
  through     – a many-to-many field: its rows are moved as the m2m table's foreign key;
  field       – Customer's own foreign keys: property (must be equal), owner and module
                (choices), created_by (the survivor's), group_account (the group links, see
                below).
Group links (R-1.1): if only the merged file is in a group account the survivor joins it;
if both are, in different groups, the files of the merged file's group join the
survivor's (each must be one the actor may change).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.fields.related import ForeignObjectRel
from django.http import Http404
from django.utils.translation import gettext as _

from yingke.core import permissions
from yingke.core.permissions import EDIT
from yingke.customers import services
from yingke.customers.models import Customer, DuplicateDismissal, GroupAccount, MergeRecord, SearchKey
from yingke.customers.signals import files_merged

KEPT, MERGED = "kept", "merged"
REASON = "merge"

# Customer's own foreign keys and what a merge does with each.
FORWARD = {"property": "same", "owner": "choice", "module": "choice", "created_by": "kept",
           "group_account": "group"}
# Models with a rule of their own.
SPECIAL = {SearchKey: "rebuild", DuplicateDismissal: "pairs"}


def choosable_fields() -> list[str]:
    """The fields whose value the user chooses from either file: the regular information
    a person types in, the account manager, the customer module (R-5.1) and the ID (type and
    number together)."""
    names = [f.name for f in Customer._meta.concrete_fields
             if f.editable and not f.primary_key and not f.is_relation and f.name not in ("kind", "id_type")]
    return [*names, "owner", "module", "id_number"]


class Unmovable(Exception):
    """A relation to Customer that the merge does not know how to move."""


@dataclass(frozen=True)
class Relation:
    how: str  # move | own_history | rebuild | pairs | through | field
    model: type | None  # the model holding the foreign key (None for "field"/"through")
    field: str  # the foreign key's name (or Customer's field)

    @property
    def label(self) -> str:
        if self.model is None:
            return f"customers.Customer.{self.field}"
        return f"{self.model._meta.label}.{self.field}"


def _is_own_history(model) -> bool:
    """A history table of Customer itself (the m2m snapshot of its tags): it belongs to the
    merged file's own change history."""
    own = Customer.history.model
    return any(isinstance(f, models.ForeignKey) and f.related_model is own for f in model._meta.fields)


def _checked_uniques(model, field) -> list[tuple[str, ...]]:
    """The unique field sets of `model` that contain `field`; raises Unmovable for a unique
    rule the merge cannot evaluate (a condition or an expression)."""
    sets = [tuple(t) for t in model._meta.unique_together]
    for c in model._meta.constraints:
        if isinstance(c, models.UniqueConstraint):
            if c.expressions or (c.condition is not None and field.name in c.fields):
                raise Unmovable(f"{model._meta.label}: unique constraint {c.name} has a condition or expressions")
            if c.fields:
                sets.append(tuple(c.fields))
    sets += [(f.name,) for f in model._meta.fields if f.unique and not f.primary_key]
    return [s for s in sets if field.name in s]


def classify(rel) -> Relation:
    """How the merge moves the rows of one relation of Customer (see the module docstring)."""
    if isinstance(rel, GenericRelation):
        raise Unmovable(f"generic relation {rel.name}: rows are found by content type, not by a foreign key")
    if isinstance(rel, ForeignObjectRel):
        if isinstance(rel, models.ManyToManyRel):
            return Relation("through", None, rel.name)  # the through table's foreign key moves the rows
        fk = rel.field
        model = rel.related_model
        if not isinstance(fk, models.ForeignKey) or len(fk.foreign_related_fields) != 1 or \
                fk.target_field != Customer._meta.pk:
            raise Unmovable(f"{model._meta.label}.{fk.name}: not a plain foreign key to Customer's id")
        if model in SPECIAL:
            return Relation(SPECIAL[model], model, fk.name)
        if _is_own_history(model):
            return Relation("own_history", model, fk.name)
        _checked_uniques(model, fk)
        return Relation("move", model, fk.name)
    if isinstance(rel, models.ManyToManyField) and rel.model is Customer:
        return Relation("through", None, rel.name)
    if isinstance(rel, models.ForeignKey) and rel.model is Customer and rel.name in FORWARD:
        return Relation("field", None, rel.name)
    raise Unmovable(f"{type(rel).__name__} {getattr(rel, 'name', rel)}: unknown relation of Customer")


def relations() -> list[Relation]:
    """Every relation of Customer, classified; Unmovable if one is not understood."""
    return [classify(f) for f in Customer._meta.get_fields(include_hidden=True) if f.is_relation]


def _customer_fks(model) -> list[str]:
    return [f.name for f in model._meta.fields if isinstance(f, models.ForeignKey) and f.related_model is Customer]


def _has_history(model) -> bool:
    return hasattr(model._meta, "simple_history_manager_attribute")


def _drop(actor, rows) -> int:
    """Delete rows a move would duplicate; each deletion recorded in history where there is one."""
    n = 0
    for obj in rows:
        services._stamp(obj, actor)
        obj._change_reason = REASON
        obj.delete()
        n += 1
    return n


def _move(actor, rel: Relation, survivor: Customer, merged: Customer) -> tuple[int, int]:
    """UPDATE the foreign key from the merged file to the survivor; (moved, dropped)."""
    model, name = rel.model, rel.field
    fk = model._meta.get_field(name)
    manager = model._base_manager
    dropped = 0
    historical = hasattr(model, "instance_type")  # a history table: rows are never removed
    if not historical:
        fks = set(_customer_fks(model))
        for unique in _checked_uniques(model, fk):
            others = [model._meta.get_field(n) for n in unique if n != name]
            if not others:  # one row per customer (a one-to-one): the survivor's wins
                if manager.filter(**{name: survivor.pk}).exists():
                    dropped += _drop(actor, manager.filter(**{name: merged.pk}))
                continue
            attnames = [f.attname for f in others]

            def key(values, others=others):
                # another customer key that points at the merged file will point at the survivor
                return tuple(survivor.pk if (f.name in fks and v == merged.pk) else v
                             for f, v in zip(others, values, strict=True))

            taken = {key(v) for v in manager.filter(**{name: survivor.pk}).values_list(*attnames)}
            clash = [pk for pk, *values in manager.filter(**{name: merged.pk}).values_list("pk", *attnames)
                     if key(values) in taken]
            dropped += _drop(actor, manager.filter(pk__in=clash))
    moved = manager.filter(**{fk.attname: merged.pk}).update(**{fk.attname: survivor.pk})
    return moved, dropped


def _remove_self_links(actor, model, survivor) -> int:
    """A link between the two merged files (an organisation and its contact) would now
    point from the survivor to itself: removed."""
    fks = _customer_fks(model)
    if len(fks) < 2 or hasattr(model, "instance_type"):
        return 0
    return _drop(actor, model._base_manager.filter(**{f: survivor.pk for f in fks}))


def _move_pairs(rel_model, survivor, merged) -> tuple[int, int]:
    moved = dropped = 0
    for d in rel_model.objects.filter(models.Q(customer_a=merged) | models.Q(customer_b=merged)):
        other = d.customer_b_id if d.customer_a_id == merged.pk else d.customer_a_id
        lo, hi = sorted((survivor.pk, other))
        if other == survivor.pk or rel_model.objects.filter(customer_a_id=lo, customer_b_id=hi).exists():
            d.delete()
            dropped += 1
        else:
            rel_model.objects.filter(pk=d.pk).update(customer_a_id=lo, customer_b_id=hi)
            moved += 1
    return moved, dropped


def _plain(value):
    if isinstance(value, dt.date | dt.datetime | Decimal):
        return str(value)
    return value


def snapshot(c: Customer) -> dict:
    """The merged file's regular information as it was, for the record: the ID number only
    as its stored mask (never in clear, never encrypted), the owner by id, the tags by name."""
    data = {f.name: _plain(getattr(c, f.attname)) for f in Customer._meta.concrete_fields
            if f.name not in ("id_number_enc", "id_number_hash", "consumption") and not f.is_relation}
    data.update(owner=c.owner_id, module=c.module_id, property=c.property_id, group_account=c.group_account_id,
                tags=sorted(c.tags.values_list("name", flat=True)))
    return data


def default_choices(survivor: Customer, merged: Customer) -> dict[str, str]:
    """The survivor's value, unless it is blank and the merged file has one."""
    out = {}
    for name in choosable_fields():
        kept, other = _value(survivor, name), _value(merged, name)
        out[name] = MERGED if _blank(kept) and not _blank(other) else KEPT
    return out


def _value(c: Customer, name: str):
    if name == "id_number":
        return c.id_number_enc
    if name == "owner":
        return c.owner_id
    if name == "module":
        return c.module_id
    return getattr(c, name)


def _blank(value) -> bool:
    return value is None or value == ""


def check_choices(survivor, merged, choices) -> dict[str, str]:
    """Validated choices for every field (defaults for those not given)."""
    allowed = set(choosable_fields())
    if choices is None:
        choices = {}
    if not isinstance(choices, dict):
        raise ValidationError({"choices": [_("Choose, for each field, “kept” or “merged”.")]})
    bad = sorted(str(k) for k in choices if k not in allowed)
    if bad:
        raise ValidationError({"choices": [_("Unknown field: %(fields)s.") % {"fields": ", ".join(bad)}]})
    wrong = sorted(k for k, v in choices.items() if v not in (KEPT, MERGED))
    if wrong:
        raise ValidationError({"choices": [_("Choose “kept” or “merged” for: %(fields)s.") % {
            "fields": ", ".join(wrong)}]})
    return {**default_choices(survivor, merged), **choices}


def _apply(survivor: Customer, merged: Customer, choices: dict[str, str]):
    """Put the chosen values on the survivor; returns the id_number argument for save_customer."""
    id_number = services.UNCHANGED
    for name, side in choices.items():
        if side != MERGED:
            continue
        if name == "id_number":
            plain = services.id_number_of(merged)
            if plain is None:
                raise ValidationError({"id_number": [_("The merged file's ID number cannot be read (wrong key); "
                                                       "keep the other one.")]})
            survivor.id_type = merged.id_type
            id_number = plain
        elif name == "owner":
            survivor.owner = merged.owner
        elif name == "module":
            survivor.module = merged.module
        else:
            setattr(survivor, name, getattr(merged, name))
    return id_number


def _join_groups(actor, survivor: Customer, merged: Customer) -> None:
    if not merged.group_account_id or merged.group_account_id == survivor.group_account_id:
        return
    if survivor.group_account_id is None:
        survivor.group_account_id = merged.group_account_id  # saved with the survivor
        return
    others = list(Customer.objects.filter(group_account_id=merged.group_account_id).exclude(pk=merged.pk))
    editable = set(Customer.objects.editable_by(actor).filter(pk__in=[f.pk for f in others])
                   .values_list("pk", flat=True))
    if any(f.pk not in editable for f in others):
        raise ValidationError({"group_account": [
            _("Both files are in group accounts, and the merged file's group has files you may not change; "
              "ask a general manager of the group.")]})
    old = merged.group_account_id
    for f in others:
        f.group_account_id = survivor.group_account_id
        services._stamp(f, actor)
        f._change_reason = REASON
        f.save(update_fields=["group_account", "updated_at"])
    merged.group_account_id = None
    Customer.objects.filter(pk=merged.pk).update(group_account=None)
    GroupAccount.objects.filter(pk=old, files__isnull=True).delete()


def check_pair(actor, survivor: Customer, merged: Customer) -> None:
    """May `actor` merge these two files? NotVisible / PermissionDenied / ValidationError."""
    permissions.require(actor, EDIT, survivor)
    permissions.require(actor, EDIT, merged)
    if survivor.pk == merged.pk:
        raise ValidationError({"other": [_("Choose two different files.")]})
    if survivor.property_id != merged.property_id:
        raise ValidationError({"other": [_("The two files belong to different properties; files of different "
                                           "properties are linked as a group account, not merged.")]})
    if survivor.kind != merged.kind:
        raise ValidationError({"other": [_("A person and an organisation cannot be merged.")]})


@transaction.atomic
def merge(actor, survivor: Customer, merged: Customer, choices: dict | None = None) -> MergeRecord:
    """Merge `merged` into `survivor` (see the module docstring); returns the MergeRecord."""
    # Lock both rows (PostgreSQL) and work on them as stored.
    locked = Customer.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk]).order_by("pk")
    stored = {c.pk: c for c in locked}
    if survivor.pk not in stored or merged.pk not in stored:
        raise permissions.NotVisible
    survivor = Customer.objects.select_related("property", "owner").get(pk=survivor.pk)
    merged = Customer.objects.select_related("property", "owner").get(pk=merged.pk)
    check_pair(actor, survivor, merged)
    choices = check_choices(survivor, merged, choices)
    before = snapshot(merged)
    merged_id, merged_code, merged_name = merged.pk, merged.customer_code, merged.name

    moved: dict[str, int] = {}
    dropped: dict[str, int] = {}
    touched_models = set()
    # History tables last: removing a duplicate link records its deletion, which must move too.
    for rel in sorted(relations(), key=lambda r: r.model is not None and hasattr(r.model, "instance_type")):
        if rel.how == "move":
            n, d = _move(actor, rel, survivor, merged)
            touched_models.add(rel.model)
        elif rel.how == "pairs":
            n, d = _move_pairs(rel.model, survivor, merged)
        else:  # own_history stays; rebuild happens on save; through/field are handled elsewhere
            continue
        if n:
            moved[rel.label] = n
        if d:
            dropped[rel.label] = d
    for model in touched_models:
        if n := _remove_self_links(actor, model, survivor):
            dropped[f"{model._meta.label} (self)"] = n

    _join_groups(actor, survivor, merged)
    id_number = _apply(survivor, merged, choices)
    # The merged file goes first, so that its customer code (or card) can pass to the survivor.
    services._stamp(merged, actor)
    merged._change_reason = REASON
    merged.delete()
    survivor._change_reason = REASON
    services.save_customer(actor, survivor, id_number=id_number)  # validation, ID, owner rule, keys, history

    files_merged.send(sender=Customer, survivor=survivor, merged_id=merged_id, actor=actor)
    return MergeRecord.objects.create(
        property_id=survivor.property_id, merged_id=merged_id, merged_code=merged_code, merged_name=merged_name,
        survivor=survivor, merged_by=permissions.history_user(actor), choices=choices,
        moved={**moved, **({"dropped": dropped} if dropped else {})}, snapshot=before,
    )


def survivor_of(customer_id: int) -> int | None:
    """The id of the file that a merged-away id now is (following later merges), or None."""
    seen = set()
    current = customer_id
    while True:
        nxt = MergeRecord.objects.filter(merged_id=current).values_list("survivor_id", flat=True).first()
        if nxt is None or nxt in seen:
            return current if current != customer_id else None
        seen.add(nxt)
        current = nxt


class MergedAway(Http404):
    """A merged-away file's id, asked for by a user who may see the file it became: the UI
    answers with a redirect (customers.middleware); where nothing turns it into one, it is
    still a 404."""

    def __init__(self, merged_id: int, survivor_id: int):
        super().__init__("merged")
        self.merged_id, self.survivor_id = merged_id, survivor_id


def visible_survivor(user, customer_id: int) -> Customer | None:
    """The file a merged-away id became, if `user` may see it (else None: a 404, R-1.2)."""
    survivor_id = survivor_of(customer_id)
    if survivor_id is None:
        return None
    return Customer.objects.visible_to(user).select_related("property", "owner").filter(pk=survivor_id).first()


def follow(user, customer_id: int) -> None:
    """Raise MergedAway when `customer_id` was merged into a file `user` may see."""
    survivor = visible_survivor(user, customer_id)
    if survivor is not None:
        raise MergedAway(customer_id, survivor.pk)
