"""Tags of a property: list with how many files carry each, create, rename, merge, delete.

Configuration, not file editing: the actor must configure the tag's property
(permissions CONFIGURE; a tag of another property is NotVisible). Each change is
audited ("config.tag.<verb>") and, when it touches guest files, written to the change
history of every affected file in bulk: one history record per file with the file's
tags after the change and the reason ("tag “A” renamed to “B”") in the record's change
reason, written in the site's language. Set-based: a merge of a tag on 20,000 files is
a handful of queries, not a loop of saves.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from yingke.core import permissions
from yingke.core.db import save_unique
from yingke.core.models import AuditEvent, Property
from yingke.core.permissions import CONFIGURE, NotVisible
from yingke.core.services import Conflict, clean_text, configurable_properties, valid_id
from yingke.customers.models import Customer, Tag
from yingke.customers.pinyin import clean_name

MAX_LENGTH = 30  # Tag.name
BATCH = 1000
# History reasons, written in the site's language (LANGUAGE_CODE) whoever acts.
RENAMED = gettext_noop("tag “%(old)s” renamed to “%(new)s”")
MERGED = gettext_noop("tag “%(old)s” merged into “%(new)s”")
REMOVED = gettext_noop("tag “%(old)s” removed")


def configurable_tags(actor):
    """Tags of the properties `actor` configures, each with `files` (how many files carry it)."""
    props = configurable_properties(actor)
    return (Tag.objects.filter(property__in=props).select_related("property")
            .annotate(files=Count("customers")).order_by("property__code", "name"))


def configurable_tag(actor, pk) -> Tag:
    tag = configurable_tags(actor).filter(pk=pk).first() if valid_id(pk) else None
    if tag is None:
        raise NotVisible
    return tag


def _name(value, prop: Property, exclude_pk=None) -> str:
    name = clean_text(clean_name(str(value or "")), "name", MAX_LENGTH)
    clash = Tag.objects.filter(property=prop, name=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise Conflict({"name": [_("This property already has a tag “%(name)s”; merge the two tags "
                                          "instead.") % {"name": name}]})
    return name


def _tag_snapshot_model():
    return next(rel.related_model for rel in Customer.history.model._meta.related_objects
                if rel.related_model._meta.model_name.endswith("_tags"))


def record_in_history(actor, customer_ids, reason: str) -> int:
    """One history record per file with its tags as they are now, and `reason`."""
    snapshot = _tag_snapshot_model()
    through = Customer.tags.through
    user = permissions.history_user(actor)
    ids = sorted(set(customer_ids))
    now = timezone.now()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        files = list(Customer.objects.filter(pk__in=chunk))
        for f in files:
            f._history_user, f._history_date = user, now
        records = Customer.history.bulk_history_create(files, update=True, default_change_reason=reason[:100])
        if records and records[0].pk is None:  # a database that returns no ids from bulk inserts
            records = list(Customer.history.filter(history_date=now, id__in=chunk))
        rows: dict[int, list[tuple[int, int]]] = {}  # customer -> its through rows (id, tag), as simple-history
        for row_id, cid, tid in through.objects.filter(customer_id__in=chunk).values_list("id", "customer_id",
                                                                                          "tag_id"):
            rows.setdefault(cid, []).append((row_id, tid))
        snapshot.objects.bulk_create(
            [snapshot(history_id=r.pk, id=row_id, customer_id=r.id, tag_id=tid)
             for r in records for row_id, tid in rows.get(r.id, [])], batch_size=BATCH)
    return len(ids)


# Marks a history record written by a tag change, so that the change history shows the
# reason (snapshots point at tag ids: a rename would otherwise show no difference).
TAG_REASON_PREFIX = "tags: "


def _reason(message: str, **names) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return TAG_REASON_PREFIX + _(message) % names


def _audit(actor, verb, tag: Tag, **details):
    AuditEvent.record(actor, f"config.tag.{verb}", f"tag:{tag.property.code}/{tag.name}", **details)


@transaction.atomic
def create_tag(actor, prop: Property, name) -> Tag:
    permissions.require(actor, CONFIGURE, prop)
    tag = Tag(property=prop, name=_name(name, prop))
    save_unique(tag, "name", _("This property already has this tag."))
    _audit(actor, "create", tag, after={"name": tag.name})
    return tag


@transaction.atomic
def rename_tag(actor, tag: Tag, name) -> Tag:
    tag = configurable_tag(actor, tag.pk)
    permissions.require(actor, CONFIGURE, tag.property)
    old = tag.name
    new = _name(name, tag.property, exclude_pk=tag.pk)
    if new == old:
        return tag
    tag.name = new
    tag.save(update_fields=["name"])
    files = list(tag.customers.values_list("pk", flat=True))
    record_in_history(actor, files, _reason(RENAMED, old=old, new=new))
    _audit(actor, "rename", tag, before={"name": old}, after={"name": new}, files=len(files))
    return tag


@transaction.atomic
def merge_tags(actor, source: Tag, target: Tag) -> Tag:
    """Every file carrying `source` carries `target` instead; `source` is deleted."""
    source = configurable_tag(actor, source.pk)
    target = configurable_tag(actor, target.pk) if target is not None and target.pk else None
    if target is None:
        raise ValidationError({"into": [_("Choose the tag to merge into.")]})
    if target.pk == source.pk:
        raise ValidationError({"into": [_("Choose another tag than the one being merged.")]})
    if target.property_id != source.property_id:
        raise ValidationError({"into": [_("Tags can be merged only within one property.")]})
    permissions.require(actor, CONFIGURE, source.property)
    through = Customer.tags.through
    files = list(through.objects.filter(tag=source).values_list("customer_id", flat=True))
    have = set(through.objects.filter(tag=target, customer_id__in=files).values_list("customer_id", flat=True))
    through.objects.bulk_create([through(customer_id=c, tag_id=target.pk) for c in files if c not in have],
                                batch_size=BATCH)
    through.objects.filter(tag=source).delete()
    name = source.name
    source.delete()
    record_in_history(actor, files, _reason(MERGED, old=name, new=target.name))
    AuditEvent.record(actor, "config.tag.merge", f"tag:{target.property.code}/{name}",
                      before={"name": name}, after={"name": target.name}, files=len(files))
    return target


@transaction.atomic
def delete_tag(actor, tag: Tag) -> int:
    """Remove the tag from every file and delete it; returns how many files carried it."""
    tag = configurable_tag(actor, tag.pk)
    permissions.require(actor, CONFIGURE, tag.property)
    through = Customer.tags.through
    files = list(through.objects.filter(tag=tag).values_list("customer_id", flat=True))
    through.objects.filter(tag=tag).delete()
    name = tag.name
    _audit(actor, "delete", tag, before={"name": name}, files=len(files))
    tag.delete()
    record_in_history(actor, files, _reason(REMOVED, old=name))
    return len(files)
