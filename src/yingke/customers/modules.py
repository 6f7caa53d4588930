"""Customer modules (客户模块, R-5.1): the six defaults created with each property, the
module suggested for a file, the check of a module chosen for a file, and the general
manager's "apply the suggestions to files without a module".

Rules:
  * A module is suggested by the organisation's nature (Customer.Nature values listed in
    `Module.natures`) or, for a person, by "person". Only modules in use are suggested;
    when several modules name the same nature, the first in the property's order wins.
  * A file's module is one of its own property's modules, and a module that is newly put
    on a file must be in use (a file keeps a module that was later taken out of use).
  * Applying the suggestions touches only files without a module: one UPDATE per nature,
    one history record per file changed (reason "module suggested"), audited.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# (code, name, typical occasions (seed 000), natures for which the module is suggested)
DEFAULT_MODULES = [
    ("government", "政府", "被宴请, 政务接待", "government"),
    ("soe", "国企", "实务接待, 宴请, 被宴请", "soe"),
    ("institution", "事业单位", "事务接待, 商务宴请, 被宴请, 宴请", "institution"),
    ("private", "私企", "宴请, 业务接待, 商务洽谈", "private,foreign"),
    ("out_of_town", "外埠", "事务宴请, 商务洽谈, 社交就餐", ""),
    ("family", "个人家庭", "家宴, 生日宴, 社交就餐", "person"),
]
PERSON = "person"
SUGGESTED = gettext_noop("module suggested")
BATCH = 1000


def ensure_default_modules(property, Module=None) -> None:
    """Create the six default modules of `property` unless it has modules already."""
    if Module is None:
        from yingke.customers.models import Module
    with transaction.atomic():
        if Module.objects.filter(property_id=property.pk).exists():
            return
        Module.objects.bulk_create([
            Module(property_id=property.pk, code=code, name=name, occasions=occasions, natures=natures,
                   sort_order=i)
            for i, (code, name, occasions, natures) in enumerate(DEFAULT_MODULES, 1)
        ])


def nature_values() -> list[tuple[str, str]]:
    """(value, label) of every nature a module can be suggested for: "person", then the
    organisation natures."""
    from yingke.customers.models import Customer

    return [(PERSON, _("Individual or family")), *Customer.Nature.choices]


def natures_of(module) -> list[str]:
    return [n.strip() for n in (module.natures or "").split(",") if n.strip()]


def nature_key(customer) -> str:
    """What a file's module is suggested by: "person", or the organisation's nature ('' if none)."""
    from yingke.customers.models import Customer

    if customer.kind == Customer.Kind.PERSON:
        return PERSON
    return customer.nature or ""


def suggestion_map(property_id) -> dict:
    """{nature: module} of a property's modules in use (first in order wins)."""
    from yingke.customers.models import Module

    out: dict = {}
    for module in Module.objects.filter(property_id=property_id, is_active=True).order_by("sort_order", "id"):
        for nature in natures_of(module):
            out.setdefault(nature, module)
    return out


def suggest_module(customer):
    """The module suggested for `customer` by its organisation's nature ("person" for
    individuals); None when none of the property's modules in use names it."""
    key = nature_key(customer)
    if not key or not customer.property_id:
        return None
    return suggestion_map(customer.property_id).get(key)


def module_error(customer, stored_module_id=None) -> str | None:
    """Why the module on `customer` may not be saved (None: it may). A module that is already
    on the file (`stored_module_id`) may stay even when it is no longer in use."""
    from yingke.customers.models import Module

    if customer.module_id is None or customer.module_id == stored_module_id:
        return None
    row = Module.objects.filter(pk=customer.module_id).values("property_id", "is_active").first()
    if row is None or row["property_id"] != customer.property_id:
        return _("Choose a module of this file's property.")
    if not row["is_active"]:
        return _("This module is no longer in use; choose another one.")
    return None


@transaction.atomic
def apply_suggestions(actor, property, *, record_history: bool = True) -> int:
    """Give every file of `property` without a module the module suggested for it (CONFIGURE).

    Set-based: one UPDATE per nature; a history record per file changed (not for the demo's
    bulk rows, which have no history); audited. Returns how many files got a module."""
    from yingke.core import permissions
    from yingke.core.models import AuditEvent
    from yingke.customers.models import Customer

    permissions.require(actor, permissions.CONFIGURE, property)
    base = Customer.objects.filter(property_id=property.pk, module__isnull=True)
    changed: dict[int, list[int]] = {}
    for nature, module in suggestion_map(property.pk).items():
        if nature == PERSON:
            files = base.filter(kind=Customer.Kind.PERSON)
        else:
            files = base.filter(kind=Customer.Kind.ORGANISATION, nature=nature)
        ids = list(files.select_for_update().values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            Customer.objects.filter(pk__in=chunk, module__isnull=True).update(module=module,
                                                                              updated_at=timezone.now())
        if ids:
            changed.setdefault(module.pk, []).extend(ids)
    total = sum(len(v) for v in changed.values())
    if record_history:
        _record_history(actor, [pk for ids in changed.values() for pk in ids])
    AuditEvent.record(actor, "config.module.apply_suggestions", f"property:{property.code}", rows=total,
                      per_module={str(k): len(v) for k, v in changed.items()})
    return total


def _record_history(actor, ids: list[int]) -> None:
    from yingke.core import permissions
    from yingke.customers.models import Customer

    if not ids:
        return
    with translation.override(settings.LANGUAGE_CODE):
        reason = _(SUGGESTED)[:100]
    user = permissions.history_user(actor)
    now = timezone.now()
    for start in range(0, len(ids), BATCH):
        files = list(Customer.objects.filter(pk__in=ids[start:start + BATCH]))
        for f in files:
            f._history_user, f._history_date = user, now
        Customer.history.bulk_history_create(files, update=True, default_change_reason=reason,
                                             default_user=user, default_date=now)
