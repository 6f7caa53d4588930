"""Domain functions for guest files. Views, API, CLI and imports call these; none of
them takes a request. Each takes the acting user first and asks core.permissions
whether they may do it (R-1.2): NotVisible (404) for a file they may not see,
PermissionDenied (403) for one they may see but not change. Bad input raises
django.core.exceptions.ValidationError with field messages. Either way nothing changes.
Background jobs and command-line work done on nobody's behalf act as permissions.SYSTEM.
"""

import datetime as dt
import secrets

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.core import permissions
from yingke.core.db import save_unique
from yingke.core.permissions import AMEND, ANNOTATE, CREATE, EDIT, SEE, NotVisible
from yingke.core.services import clean_text
from yingke.customers import bulk, crypto, modules
from yingke.customers.identity import mask_id, normalize_id_number, parse_resident_id
from yingke.customers.lunar import validate_spec
from yingke.customers.models import (
    ContactLink,
    Customer,
    GroupAccount,
    Note,
    Preference,
    SearchKey,
    SpecialDate,
    Tag,
)
from yingke.customers.pinyin import clean_name, primary_pinyin, search_keys

UNCHANGED = object()

# The one writer of owners of existing files: control.ownership.move_edited_owner,
# registered by control's AppConfig.ready() (a foundation app does not import control).
# Called as mover(actor, customer_id, owner, expect_owner_id=…, reason=…) inside
# save_customer's transaction; it records the Assignment, lapses pending claims and takes
# the file out of the sales manager's queue.
OWNER_MOVER: list = []


def new_code_candidate() -> str:
    """G + today's date + 5 random digits; callers check that it is free."""
    return "G" + timezone.localdate().strftime("%y%m%d") + f"{secrets.randbelow(10**5):05d}"


def new_customer_code(property) -> str:
    """A fresh code for a guest created without one (quick check-in form)."""
    for _attempt in range(20):
        code = new_code_candidate()
        if not Customer.objects.filter(property=property, customer_code=code).exists():
            return code
    raise RuntimeError("could not find a free customer code")


def normalise(customer: Customer, id_number=UNCHANGED) -> None:
    """Clean, validate and derive the stored form of a customer's fields (R-2.9, R-12.1).

    `id_number` is the plain ID number as typed ('' clears it); UNCHANGED keeps the
    stored one. Raises ValidationError({field: [messages]}).
    """
    errors: dict[str, list[str]] = {}
    customer.name = clean_name(customer.name)
    customer.customer_code = clean_name(customer.customer_code).upper()
    try:
        customer.mobile = bulk.normalize_mobile(customer.mobile)  # identity.normalize_mobile, faster
    except ValidationError as e:
        errors.setdefault("mobile", []).extend(e.messages)
    customer.mobile_last4 = customer.mobile[-4:] if customer.mobile else ""
    customer.card_no = clean_name(customer.card_no).upper()
    customer.area = clean_text(customer.area, "area", 50, required=False, errors=errors)
    if id_number is not UNCHANGED:
        try:
            set_id_number(customer, id_number)
        except ValidationError as e:
            errors.setdefault("id_number", []).extend(e.messages)
    elif customer.id_number_enc and customer.id_type == Customer.IdType.RESIDENT and \
            (rid := _stored_resident_id(customer)) is not None:
        # The stored ID is the authority on birth date and gender.
        if customer.birth_date != rid.birth_date:
            errors.setdefault("birth_date", []).append(_("The date of birth does not match the ID card number."))
        if customer.gender != rid.gender:
            errors.setdefault("gender", []).append(_("The gender does not match the ID card number."))
    if customer.is_organisation:
        customer.gender = ""
    customer.name_pinyin = primary_pinyin(customer.name)[:200]
    # Model.full_clean's field checks. Foreign keys are set by our own code from objects
    # already read; checking that they exist would cost a query per row of an import.
    # The module is checked by save_customer (modules.module_error), only when it changes.
    for field, messages in bulk.clean_fields(customer, exclude=("property", "owner", "created_by",
                                                                "module")).items():
        errors.setdefault(field, []).extend(messages)
    if customer.property_id is None:
        errors.setdefault("property", []).append(_("Choose a property."))
    if errors:
        raise ValidationError(errors)


def set_id_number(customer: Customer, raw) -> None:
    number = normalize_id_number(customer.id_type, raw)
    if not number:
        customer.id_number_enc = customer.id_number_hash = customer.id_number_masked = ""
        return
    if not customer.id_type:
        customer.id_type = Customer.IdType.RESIDENT
    if customer.id_type == Customer.IdType.RESIDENT:
        rid = parse_resident_id(number)
        customer.birth_date = rid.birth_date  # the ID is the authority
        customer.gender = rid.gender
    customer.id_number_enc = crypto.encrypt(number)
    customer.id_number_hash = crypto.blind_index(number)
    customer.id_number_masked = mask_id(number)


def id_number_of(customer: Customer) -> str | None:
    """The plain ID number ('' when none), or None when it cannot be decrypted (wrong key,
    damaged value): callers treat that as "unknown", never as a server error."""
    return crypto.try_decrypt(customer.id_number_enc)


def _stored_resident_id(customer: Customer):
    number = id_number_of(customer)
    if not number:
        return None
    try:
        return parse_resident_id(number)
    except ValidationError:
        return None


@transaction.atomic
def save_customer(actor, customer: Customer, *, id_number=UNCHANGED, tags=None) -> Customer:
    """Create or update a guest file; records who changed what (R-12.3).

    Creating needs CREATE in the file's property; changing needs EDIT on the file as
    stored; a new or changed owner must be one the actor may assign (R-6.1). An existing
    file's new owner is moved by OWNER_MOVER after the other fields are saved (an Assignment
    row, pending claims lapse); clearing it here is refused: Release takes a reason.
    """
    stored = None
    if customer.pk is None:
        permissions.require(actor, CREATE, customer.property)
    else:  # the row locked: its owner cannot change before this transaction ends
        stored = (Customer.objects.filter(pk=customer.pk).select_for_update()
                  .values("owner_id", "property_id", "module_id").first())
        if stored is None:
            raise NotVisible
        permissions.require(actor, EDIT, Customer(pk=customer.pk))
        if stored["property_id"] != customer.property_id:
            raise ValidationError({"property": [_("A file stays in its property; open a file in the other "
                                                  "property and link them as a group account.")]})
    new_owner = UNCHANGED  # an existing file's new owner: moved by OWNER_MOVER after the save
    if stored is not None and stored["owner_id"] != customer.owner_id:
        if customer.owner_id is None:
            raise ValidationError({"owner": [_("To put this file back into the shared pool, use “Release to the "
                                               "pool” on the file's page, with a reason.")]})
        permissions.require_assign(actor, customer, customer.owner)
        new_owner = customer.owner
        customer.owner_id = stored["owner_id"]  # the other fields are saved with the stored owner
    elif stored is None:
        permissions.require_assign(actor, customer, customer.owner)
    if not customer.customer_code and customer.property_id and customer.pk is None:
        customer.customer_code = new_customer_code(customer.property)  # codes are only made for new files
    problem = modules.module_error(customer, stored["module_id"] if stored else None)
    try:
        normalise(customer, id_number)
    except ValidationError as e:
        if problem:
            e.error_dict.setdefault("module", []).append(ValidationError(problem))
        raise
    if problem:
        raise ValidationError({"module": [problem]})
    if customer.pk is None and permissions.is_staff(actor):
        customer.created_by = actor
    _stamp(customer, actor)
    save_unique(customer, "customer_code", _("This customer code is already used in this property."))
    if tags is not None:
        if any(t.property_id != customer.property_id for t in tags):
            raise ValidationError({"tags": [_("A tag of another property cannot be used here.")]})
        customer.tags.set(tags)
    reindex(customer)
    if new_owner is not UNCHANGED:
        if not OWNER_MOVER:
            raise ImproperlyConfigured("customers.services.OWNER_MOVER: no owner mover is registered")
        reason = getattr(customer, "_change_reason", "") or _("Account manager changed on the file")
        OWNER_MOVER[-1](actor, customer.pk, new_owner, expect_owner_id=stored["owner_id"], reason=reason)
        customer.owner = new_owner
    return customer


def add_tags(actor, customer: Customer, tags) -> None:
    """Add tags to a file (imports add, never remove); needs EDIT like any change of the file."""
    permissions.require(actor, EDIT, customer)
    if any(t.property_id != customer.property_id for t in tags):
        raise ValidationError({"tags": [_("A tag of another property cannot be used here.")]})
    _stamp(customer, actor)
    customer.tags.add(*tags)


def reindex(customer: Customer) -> None:
    """Rebuild the search keys of one customer."""
    SearchKey.objects.filter(customer=customer).delete()
    SearchKey.objects.bulk_create(
        SearchKey(customer=customer, property_id=customer.property_id, kind=kind, key=key)
        for kind, key in search_keys(customer.name)
    )


def tags_from_names(property, names) -> list[Tag]:
    """The property's tags with these names, created when new; a name over 30 characters is refused."""
    cleaned = [n for n in (clean_name(name) for name in names) if n]
    too_long = [n for n in cleaned if len(n) > 30]
    if too_long:
        raise ValidationError({"tags": [_("A tag has at most 30 characters: “%(tag)s”.") % {"tag": too_long[0]}]})
    return [Tag.objects.get_or_create(property=property, name=name)[0] for name in dict.fromkeys(cleaned)]


def _stamp(obj, actor):
    obj._history_user = permissions.history_user(actor)


def _full_clean(obj, exclude=None):
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as e:
        raise ValidationError(e.message_dict) from None


def add_preference(actor, customer, category: str, value: str) -> Preference:
    permissions.require(actor, ANNOTATE, customer)
    pref = Preference(customer=customer, category=category, value=clean_name(value),
                      created_by=permissions.history_user(actor))
    _full_clean(pref, exclude=["customer", "created_by"])
    _stamp(pref, actor)
    pref.save()
    return pref


def delete_preference(actor, pref: Preference) -> None:
    permissions.require(actor, AMEND, pref)
    _stamp(pref, actor)
    pref.delete()


def save_special_date(actor, spec: SpecialDate) -> SpecialDate:
    """Add a date (ANNOTATE the file) or change one (AMEND: editors, or whoever recorded it)."""
    if spec.pk is None:
        permissions.require(actor, ANNOTATE, spec.customer)
        spec.created_by = permissions.history_user(actor)
    else:
        permissions.require(actor, AMEND, SpecialDate.objects.get(pk=spec.pk))
    errors = dict(validate_spec(spec.calendar, spec.month, spec.day, spec.leap_month))
    if spec.year is not None and not 1900 <= spec.year <= dt.date.today().year + 1:
        errors["year"] = _("Enter a year between 1900 and next year.")
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    _full_clean(spec, exclude=["customer"])
    _stamp(spec, actor)
    spec.save()
    return spec


def delete_special_date(actor, spec: SpecialDate) -> None:
    permissions.require(actor, AMEND, spec)
    _stamp(spec, actor)
    spec.delete()


def add_note(actor, customer, text: str, kind: str = Note.Kind.NOTE, outlet=None) -> Note:
    permissions.require(actor, ANNOTATE, customer)
    note = Note(customer=customer, text=(text or "").strip(), kind=kind, outlet=outlet,
                author=permissions.history_user(actor))
    if outlet is not None and outlet.property_id != customer.property_id:
        raise ValidationError({"outlet": [_("The outlet belongs to another property.")]})
    _full_clean(note, exclude=["customer", "author", "outlet"])
    _stamp(note, actor)
    note.save()
    return note


def link_contact(actor, organisation: Customer, person: Customer, title: str = "", is_primary=False) -> ContactLink:
    """Contact people are regular information of the organisation: EDIT it; the person's
    own file must be one the actor may see."""
    permissions.require(actor, EDIT, organisation)
    if not permissions.can(actor, SEE, person):
        raise ValidationError({"person": [_("No such guest file.")]})
    if not organisation.is_organisation:
        raise ValidationError({"organisation": [_("Contact people belong to an organisation's file.")]})
    if person.is_organisation:
        raise ValidationError({"person": [_("A contact person must be a person, not an organisation.")]})
    if person.property_id != organisation.property_id:
        raise ValidationError({"person": [_("The contact person belongs to another property.")]})
    link = ContactLink.objects.filter(organisation=organisation, person=person).first() or \
        ContactLink(organisation=organisation, person=person)
    link.title, link.is_primary = clean_name(title or ""), bool(is_primary)
    _stamp(link, actor)  # before the first save, so that "created" names its author
    link.save()
    return link


def unlink_contact(actor, link: ContactLink) -> None:
    permissions.require(actor, EDIT, link.organisation)
    _stamp(link, actor)
    link.delete()


def _set_group(actor, customer: Customer, group) -> None:
    customer.group_account = group
    _stamp(customer, actor)
    customer.save(update_fields=["group_account", "updated_at"])


@transaction.atomic
def link_group_files(actor, customer: Customer, other: Customer) -> GroupAccount:
    """Record that two files of different properties are one group-level customer (R-1.1).

    Each property keeps its own file; both (and any files already linked to either) end
    up in one GroupAccount. Changes are recorded in each file's history.
    """
    permissions.require(actor, EDIT, customer)
    if other.pk == customer.pk or other.property_id == customer.property_id:
        raise ValidationError({"customer_code": [
            _("Choose a file of another property; two files of one property are duplicates, not a group account.")
        ]})
    if other.kind != customer.kind:
        raise ValidationError({"customer_code": [_("A person and an organisation cannot be one group account.")]})
    group = customer.group_account or other.group_account or GroupAccount.objects.create(name=customer.name)
    files = {customer, other}
    for old in {customer.group_account, other.group_account} - {None, group}:
        files.update(old.files.all())
    editable = set(Customer.objects.editable_by(actor).filter(pk__in=[f.pk for f in files])
                   .values_list("pk", flat=True))
    if any(f.pk not in editable for f in files):
        raise ValidationError({"customer_code": [
            _("That file is already linked with files you may not change; ask a general manager of the group.")
        ]})
    for f in files:
        if f.group_account_id != group.pk:
            _set_group(actor, f, group)
    GroupAccount.objects.filter(files__isnull=True).delete()
    return group


@transaction.atomic
def unlink_group_file(actor, customer: Customer) -> None:
    """Take one file out of its group account; only that file changes (an empty group goes)."""
    permissions.require(actor, EDIT, customer)
    group = customer.group_account
    if group is None:
        return
    _set_group(actor, customer, None)
    if not group.files.exists():
        group.delete()
