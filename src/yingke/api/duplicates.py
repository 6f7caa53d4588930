"""Duplicate files and merging (R-2.8): the candidate pairs, "not a duplicate", merge.

Pairs come from customers.duplicates (both files must be visible to the caller); merging is
customers.merge.merge (EDIT on both files, one transaction). A merged-away id then answers
GET /api/customers/{id} with the file it became (api.access.visible_customer).
"""

from typing import Literal

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, create_model

from yingke.api.access import editable_customer, visible_customer
from yingke.api.customers import _detail
from yingke.api.errors import field_error, not_found
from yingke.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, page_url
from yingke.api.schemas import Clean, CustomerOut, CustomerSummary, ErrorOut, In, customer_summary, object_id
from yingke.core.models import Property
from yingke.customers import merge as merging
from yingke.customers.duplicates import CAP, REASONS, candidate_pairs, dismiss
from yingke.customers.models import Customer

router = Router(tags=["duplicates"])

REASON = Literal.__getitem__(tuple(REASONS))
SIDE = Literal["kept", "merged"]
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class DuplicateParams(Clean):
    reason: REASON | None = Field(None, description="Only pairs with this reason.")
    property: str | None = Field(None, max_length=Property._meta.get_field("code").max_length,
                                 pattern=r"^[^\x00]*$", description="Property code, one of your properties: only that property's files.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class PairOut(Schema):
    a: CustomerSummary = Field(description="The older file of the pair (lower id).")
    b: CustomerSummary
    reasons: list[REASON] = Field(description="Why they look alike: " + ", ".join(REASONS) + ".")


class PairPage(Schema):
    count: int
    count_capped: bool = Field(False, description="More pairs than are read at once: the newest "
                                                  f"{CAP:,} are listed and counted.")
    next: str | None = None
    by_reason: dict[str, int] = Field(description="Pairs per reason (a pair with two reasons counts in both), "
                                                  "whatever the `reason` filter.")
    items: list[PairOut]


def _summary(c, user):
    return customer_summary(c, user)


@router.get("/duplicates", response={200: PairPage, 422: ErrorOut}, summary="Likely duplicate files",
            description="Pairs of files of one property that may be one guest, newest first. Only pairs of "
                        "which you may see both files.")
def list_duplicates(request, params: Query[DuplicateParams]):
    user = request.auth
    prop = None
    if params.property:
        prop = Property.objects.filter(pk__in=user.property_ids(), code__iexact=params.property.strip()).first()
        if prop is None:
            raise field_error("property", _("You do not work at this property."))
    pairs = candidate_pairs(user, property=prop, reason=params.reason)
    count = pairs.count()
    rows = pairs[params.offset:params.offset + params.limit]
    prefetch_related_objects([c for p in rows for c in (p.a, p.b)], "tags", "module")
    items = [{"a": _summary(p.a, user), "b": _summary(p.b, user), "reasons": [code for code, _l in p.reasons]}
             for p in rows]
    more = params.offset + params.limit < count
    return {"count": count, "next": page_url(request, offset=params.offset + params.limit) if more else None,
            "count_capped": pairs.capped, "by_reason": pairs.counts_by_reason(), "items": items}


class PairIn(In):
    a: object_id(Customer)
    b: object_id(Customer) = Field(description="Another file of the same property as `a`.")


@router.post("/duplicates/dismiss", response={204: None, **ERRORS}, summary="Not a duplicate",
             description="The two files are different guests: the pair is not proposed again. Needs the right "
                         "to change both files (the roles that may merge them).")
def dismiss_duplicate(request, payload: PairIn):
    user = request.auth
    a, b = visible_customer(user, payload.a), visible_customer(user, payload.b)
    with transaction.atomic():
        dismiss(user, a, b)
    return Status(204, None)


MergeChoices = create_model(
    "MergeChoices", __base__=In,
    **{name: (SIDE | None, Field(None)) for name in merging.choosable_fields()},
)
MergeChoices.model_config = ConfigDict(extra="forbid")


class MergeIn(In):
    other: object_id(Customer) = Field(description="The file to merge into this one: another file of the same "
                                                   "property and kind that you may see. It is deleted, and its id "
                                                   "answers with this file afterwards.")
    choices: MergeChoices = Field(default_factory=MergeChoices,
                                  description="For each field, whose value this file keeps: `kept` (this "
                                              "file's) or `merged` (the other file's). A field left out keeps "
                                              "this file's value, unless that is blank and the other's is not. "
                                              "`id_number` takes the ID type with it. The chosen values are "
                                              "checked like any change of the file (mobile, ID number, date "
                                              "of birth against the ID, account manager).")


class MergeOut(Schema):
    customer: CustomerOut
    merged_id: int
    merged_code: str
    moved: dict[str, int] = Field(description="Rows moved to this file, per relation (model.field).")
    dropped: dict[str, int] = Field(description="Rows of the other file that would have been duplicates here "
                                                "(the same tag, the same contact) and were removed.")


@router.post("/customers/{int:customer_id}/merge", response={200: MergeOut, **ERRORS},
             summary="Merge another file into this one",
             description="Moves every visit, stay, note, preference, date, tag, contact and history record of "
                         "`other` to this file, applies the chosen values and deletes `other`, in one "
                         "transaction. Both files must be of one property and kind, and you must be allowed "
                         "to change both.")
def merge_customer(request, customer_id: int, payload: MergeIn):
    user = request.auth
    survivor = editable_customer(user, customer_id)
    other = Customer.objects.visible_to(user).filter(pk=payload.other).first()
    if other is None:
        raise field_error("other", _("No such guest file."))
    choices = {k: v for k, v in payload.choices.model_dump(exclude_none=True).items()}
    record = merging.merge(user, survivor, other, choices)
    moved = {k: v for k, v in record.moved.items() if k != "dropped"}
    customer = Customer.objects.visible_to(user).select_related("property", "owner", "module").filter(
        pk=survivor.pk).first()
    if customer is None:  # the chosen account manager took it out of the caller's sight
        raise not_found()
    return {"customer": _detail(user, customer), "merged_id": record.merged_id, "merged_code": record.merged_code,
            "moved": moved, "dropped": record.moved.get("dropped", {})}

