"""The change history of a guest file (R-12.3): who, when, field, before → after.

Built from the django-simple-history records of the customer and of its preferences,
special dates, notes and contact links; consecutive records of one object are diffed.
A fixed number of queries whatever the length of the history.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from yingke.core.models import Property, User
from yingke.customers import masking
from yingke.customers.lunar import describe
from yingke.customers.models import PROFILE_FIELDS, ContactLink, Customer, Note, Preference, SpecialDate
from yingke.customers.tags import TAG_REASON_PREFIX

# Customer fields that are internal, derived or shown elsewhere.
SKIP = {"id", "id_number_hash", "id_number_enc", "name_pinyin", "mobile_last4", "created_at", "created_by",
        "updated_at", *PROFILE_FIELDS}
CHILD_SKIP = {"id", "customer", "organisation", "created_by", "created_at", "author"}
RECORD_LIMIT = 200


@dataclass
class Change:
    when: dt.datetime
    who: str
    action: str  # "created", "changed", "deleted"
    subject: str  # what the change is about: the file, "Preference", …
    field: str
    before: str
    after: str


def _names(model, ids):
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {obj.pk: str(obj) for obj in model.objects.filter(pk__in=ids)}


class _Display:
    """Turns stored values into what a member of staff reads."""

    def __init__(self, user, users, properties, customers):
        self.user, self.users, self.properties, self.customers = user, users, properties, customers

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
            lookup = {User: self.users, Property: self.properties, Customer: self.customers}.get(field.related_model)
            return lookup.get(value, f"#{value}") if lookup is not None else str(value)
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


def _diff(model, prev, record, skip, display):
    for field in _fields(model, skip):
        before, after = getattr(prev, field.attname), getattr(record, field.attname)
        if before != after:
            label = _("ID number") if field.name == "id_number_masked" else str(field.verbose_name)
            yield label, display.value(model, field.name, before), display.value(model, field.name, after)


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


def history_for(customer: Customer, user, limit: int = 100) -> list[Change]:
    sources = [
        (Customer, customer.history.all()),
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

    user_ids, prop_ids, customer_ids = set(), set(), set()
    for model, rows in records:
        for r in rows:
            if model is Customer:
                user_ids.add(r.owner_id)
                prop_ids.add(r.property_id)
            elif model is ContactLink:
                customer_ids.update((r.organisation_id, r.person_id))
    display = _Display(user, _names(User, user_ids), _names(Property, prop_ids), {})
    customer_ids.discard(None)
    if customer_ids:
        # Only names of files this user may open; the others get a neutral placeholder.
        names = dict(Customer.objects.visible_to(user).filter(pk__in=customer_ids).values_list("pk", "name"))
        hidden = str(masking.HIDDEN_FILE)
        display.customers = {pk: names.get(pk, hidden) for pk in customer_ids}

    tags = _tag_snapshots(records[0][1])
    changes: list[Change] = []
    for model, rows in records:
        subject = str(model._meta.verbose_name)
        skip = SKIP if model is Customer else CHILD_SKIP
        last = {}
        for r in rows:
            who = str(r.history_user) if r.history_user else _("system")
            prev = last.get(r.id)
            last[r.id] = r
            if r.history_type == "+":
                text = f"{r.name} ({r.customer_code})" if model is Customer else display.summary(model, r)
                changes.append(Change(r.history_date, who, "created", subject, "", "", text))
            elif r.history_type == "-":
                changes.append(Change(r.history_date, who, "deleted", subject, "", display.summary(model, r), ""))
            elif prev is not None:
                for label, before, after in _diff(model, prev, r, skip, display):
                    changes.append(Change(r.history_date, who, "changed", subject, label, before, after))
                if model is Customer and getattr(r, "history_change_reason", "") and \
                        r.history_change_reason.startswith(TAG_REASON_PREFIX):
                    # A tag renamed, merged or deleted in the configuration: snapshots point at
                    # tag ids, so the stored reason says what happened.
                    changes.append(Change(r.history_date, who, "changed", subject, _("tags"), "",
                                          r.history_change_reason[len(TAG_REASON_PREFIX):]))
                elif model is Customer and tags.get(prev.history_id) != tags.get(r.history_id):
                    changes.append(Change(r.history_date, who, "changed", subject, _("tags"),
                                          tags.get(prev.history_id, ""), tags.get(r.history_id, "")))
    changes.sort(key=lambda c: c.when, reverse=True)
    return changes[:limit]
