"""The change history of a guest file (R-12.3): who, when, field, before → after.

Built from the django-simple-history records of the customer and of its preferences,
special dates, notes and contact links; consecutive records of one object are diffed.
A fixed number of queries whatever the length of the history.

After a merge (R-2.8) the survivor's history also shows each merge (who, when, which file,
which values were taken from it) and the merged file's own records under "merged from
CODE" (HistoricalCustomer rows keep the merged file's id; MergeRecord says where it went).

This is the project's one history diff: `Display` (stored value → what staff read) and
`diff_records` (consecutive records of one object → created / changed / deleted) are also
used by visits.history for a visit's history.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from yingke.core.models import Property, User
from yingke.customers import masking
from yingke.customers.lunar import describe
from yingke.customers.models import (
    GRADE_FIELDS,
    PATTERN_FIELDS,
    PROFILE_FIELDS,
    ContactLink,
    Customer,
    MergeRecord,
    Note,
    Preference,
    SpecialDate,
)
from yingke.customers.tags import TAG_REASON_PREFIX

# Customer fields that are internal, derived or shown elsewhere.
SKIP = {"id", "id_number_hash", "id_number_enc", "name_pinyin", "mobile_last4", "created_at", "created_by",
        "updated_at", *PROFILE_FIELDS, *GRADE_FIELDS, *PATTERN_FIELDS}
CHILD_SKIP = {"id", "customer", "organisation", "created_by", "created_at", "author"}
RECORD_LIMIT = 200


@dataclass
class Change:
    when: dt.datetime
    who: str
    action: str  # "created", "changed", "deleted", "merged"
    subject: str  # what the change is about: the file, "Preference", …
    field: str
    before: str
    after: str


def _names(model, ids):
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {obj.pk: str(obj) for obj in model.objects.filter(pk__in=ids)}


def who(record) -> str:
    """Who made a history record (a record written by a job or the CLI: "system")."""
    return str(record.history_user) if record.history_user else _("system")


class Display:
    """Turns stored values into what a member of staff reads. `names` maps further related
    models to {pk: label} (e.g. a visit's outlets)."""

    def __init__(self, user, users, properties, customers, names=None):
        self.user, self.users, self.properties, self.customers = user, users, properties, customers
        self.names = names or {}

    def value(self, model, name, value) -> str:
        if value in (None, ""):
            return ""
        field = model._meta.get_field(name)
        if name == "mobile":
            return masking.shown_mobile(self.user, value)
        if name == "id_number_masked":
            return masking.shown_id_mask(self.user, value)
        if name == "group_account":
            return _("group account no. %(id)s") % {"id": value}
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(field, models.ForeignKey):
            lookup = {User: self.users, Property: self.properties, Customer: self.customers,
                      **self.names}.get(field.related_model)
            return lookup.get(value, f"#{value}") if lookup is not None else str(value)
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        if isinstance(field, models.BooleanField):
            return _("Yes") if value else _("No")
        if isinstance(field, models.DateTimeField):
            return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
        if isinstance(field, models.DateField):
            return formats.date_format(value, "DATE_FORMAT")
        return str(value)

    def summary(self, model, record) -> str:
        if model is Preference:
            return f"{self.value(model, 'category', record.category)}: {record.value}"
        if model is SpecialDate:
            return f"{record.label or self.value(model, 'kind', record.kind)} {describe(record)}"
        if model is Note:
            text = record.text if len(record.text) <= 60 else record.text[:60] + "…"
            return f"{self.value(model, 'kind', record.kind)}: {text}"
        if model is ContactLink:
            return f"{self.customers.get(record.organisation_id, '')} ← {self.customers.get(record.person_id, '')}"
        return str(record)


def _fields(model, skip):
    return [f for f in model._meta.concrete_fields if f.attname not in skip and f.name not in skip]


def _diff(model, prev, record, skip, display: Display):
    for field in _fields(model, skip):
        before, after = getattr(prev, field.attname), getattr(record, field.attname)
        if before != after:
            label = _("ID number") if field.name == "id_number_masked" else str(field.verbose_name)
            yield label, display.value(model, field.name, before), display.value(model, field.name, after)


def diff_records(model, rows: Iterable, skip, display: Display, summary: Callable[[object], str], *,
                 first_as_created: bool = False) -> Iterator[tuple[object, str, str, str, str]]:
    """(record, action, field label, before, after) for history `rows` (oldest first, of one
    or several objects of `model`): a "+" record is "created" with its summary, a "-"
    record "deleted", a "~" record the fields that differ from that object's previous
    record. `first_as_created`: an object's first record read is a "created" whatever its
    type (a row written without history, e.g. by a bulk import, then changed)."""
    last = {}
    for r in rows:
        prev = last.get(r.id)
        last[r.id] = r
        if r.history_type == "+" or (first_as_created and prev is None and r.history_type != "-"):
            yield r, "created", "", "", summary(r)
        elif r.history_type == "-":
            yield r, "deleted", "", summary(r), ""
        elif prev is not None:
            for label, before, after in _diff(model, prev, r, skip, display):
                yield r, "changed", label, before, after


def _tag_snapshots(rows) -> dict[int, str]:
    """history_id → the file's tags at that record (Customer history tracks tags)."""
    snapshots = [rel.related_model for rel in Customer.history.model._meta.related_objects
                 if rel.related_model._meta.model_name.endswith("_tags")]
    if not snapshots or not rows:
        return {}
    model = snapshots[0]
    names: dict[int, list[str]] = {r.history_id: [] for r in rows}
    for hid, name in model.objects.filter(history_id__in=list(names)).values_list("history_id", "tag__name"):
        names[hid].append(name or "?")
    return {hid: ", ".join(sorted(tags)) for hid, tags in names.items()}


def _merge_change(record: MergeRecord, users: dict) -> Change:
    """One line for a merge on the survivor's history: who, when, which file, which values
    were taken from it (MergeRecord.choices)."""
    taken = []
    for name, side in (record.choices or {}).items():
        if side != "merged":
            continue
        if name == "id_number":
            taken.append(str(_("ID number")))
            continue
        try:
            taken.append(str(Customer._meta.get_field(name).verbose_name))
        except Exception:  # a field since removed: its stored name
            taken.append(name)
    after = (_("values taken from it: %(fields)s") % {"fields": ", ".join(taken)}) if taken \
        else _("every value of this file kept")
    return Change(record.merged_at, users.get(record.merged_by_id) or _("system"), "merged",
                  _("merged from %(code)s") % {"code": record.merged_code}, "",
                  f"{record.merged_name} ({record.merged_code})", after)


def history_for(customer: Customer, user, limit: int = 100) -> list[Change]:
    # Files merged into this one (earlier merges into a merged file were moved onto it).
    merges = list(MergeRecord.objects.filter(survivor_id=customer.pk).order_by("merged_at", "id"))
    merged_subject = {m.merged_id: _("merged from %(code)s") % {"code": m.merged_code} for m in merges}
    sources = [
        (Customer, Customer.history.filter(id__in=[customer.pk, *merged_subject])),
        (Preference, Preference.history.filter(customer_id=customer.pk)),
        (SpecialDate, SpecialDate.history.filter(customer_id=customer.pk)),
        (Note, Note.history.filter(customer_id=customer.pk)),
        (ContactLink, ContactLink.history.filter(Q(organisation_id=customer.pk) | Q(person_id=customer.pk))),
    ]
    records = []
    for model, qs in sources:
        rows = list(qs.select_related("history_user").order_by("-history_date", "-history_id")[:RECORD_LIMIT])
        rows.reverse()
        records.append((model, rows))

    user_ids, prop_ids, customer_ids = {m.merged_by_id for m in merges}, set(), set()
    for model, rows in records:
        for r in rows:
            if model is Customer:
                user_ids.add(r.owner_id)
                prop_ids.add(r.property_id)
            elif model is ContactLink:
                customer_ids.update((r.organisation_id, r.person_id))
    display = Display(user, _names(User, user_ids), _names(Property, prop_ids), {})
    customer_ids.discard(None)
    if customer_ids:
        # Only names of files this user may open; the others get a neutral placeholder.
        names = dict(Customer.objects.visible_to(user).filter(pk__in=customer_ids).values_list("pk", "name"))
        hidden = str(masking.HIDDEN_FILE)
        display.customers = {pk: names.get(pk, hidden) for pk in customer_ids}

    tags = _tag_snapshots(records[0][1])
    changes: list[Change] = [_merge_change(m, display.users) for m in merges]
    for model, rows in records:
        subject = str(model._meta.verbose_name)
        skip = SKIP if model is Customer else CHILD_SKIP
        summary = (lambda r: f"{r.name} ({r.customer_code})") if model is Customer \
            else (lambda r, model=model: display.summary(model, r))
        for r, action, label, before, after in diff_records(model, rows, skip, display, summary):
            changes.append(Change(r.history_date, who(r), action, merged_subject.get(r.id, subject)
                                  if model is Customer else subject, label, before, after))
        if model is not Customer:
            continue
        last = {}
        for r in rows:
            prev = last.get(r.id)
            last[r.id] = r
            if prev is None or r.history_type != "~":
                continue
            subj = merged_subject.get(r.id, subject)
            if getattr(r, "history_change_reason", "") and r.history_change_reason.startswith(TAG_REASON_PREFIX):
                # A tag renamed, merged or deleted in the configuration: snapshots point at
                # tag ids, so the stored reason says what happened.
                changes.append(Change(r.history_date, who(r), "changed", subj, _("tags"), "",
                                      r.history_change_reason[len(TAG_REASON_PREFIX):]))
            elif tags.get(prev.history_id) != tags.get(r.history_id):
                changes.append(Change(r.history_date, who(r), "changed", subj, _("tags"),
                                      tags.get(prev.history_id, ""), tags.get(r.history_id, "")))
    changes.sort(key=lambda c: c.when, reverse=True)
    return changes[:limit]
