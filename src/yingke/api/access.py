"""Fetching rows for an endpoint, always through the permission rule (R-1.2).

A row the user may not see is 404 (never data, never a hint that it exists); a row they
may see but not change is 403.
"""

from django.utils.translation import gettext as _

from yingke.api.errors import ApiError, field_error, not_found
from yingke.core import permissions
from yingke.customers.merge import visible_survivor
from yingke.customers.models import Customer


def visible_customer(user, customer_id: int) -> Customer:
    """A customer `user` may see, for reading. A merged-away id answers with the file it
    became, when the user may see that (R-2.8)."""
    c = Customer.objects.visible_to(user).select_related("property", "owner", "module").filter(
        pk=customer_id).first()
    if c is None:
        c = visible_survivor(user, customer_id)
    if c is None:
        raise not_found()
    return c


def customer_for_write(user, customer_id: int) -> Customer:
    """A customer `user` may see, for a write (PATCH/POST/DELETE on the file or its parts).

    A merged-away id is never followed here: a write meant for the merged file (a stale
    client, an old form) would otherwise land on the survivor and undo the merge's choices.
    It answers 404, naming the file it became when the user may see that."""
    c = Customer.objects.visible_to(user).select_related("property", "owner", "module").filter(
        pk=customer_id).first()
    if c is not None:
        return c
    survivor = visible_survivor(user, customer_id)
    if survivor is None:
        raise not_found()
    raise ApiError(404, _("This file was merged into %(code)s (id %(id)s); nothing was changed. "
                          "Send the change to that file.") % {"code": survivor.customer_code, "id": survivor.pk})


def editable_customer(user, customer_id: int) -> Customer:
    """A customer whose regular information `user` may change: 404 when not visible (or
    merged away, see customer_for_write), 403 when visible but not theirs to change."""
    c = customer_for_write(user, customer_id)
    permissions.require(user, permissions.EDIT, c)
    return c


def visible_child(model, user, customer_id: int, pk: int, *related):
    """A preference, special date, note … of a visible customer, by its own id."""
    obj = model.objects.visible_to(user).select_related(*related).filter(customer_id=customer_id, pk=pk).first()
    if obj is None:
        raise not_found()
    return obj


def property_to_work(user, code, *actions):
    """The property an operation works on: the one named (404 unless it is the user's, 403 unless
    any of `actions` is allowed there), or the user's only one where one is (422 on `property` when
    there are several)."""
    if code:
        return permissions.chosen_property(user, code, *actions)[0]
    prop, allowed = permissions.chosen_property(user, None, *actions)
    if len(allowed) > 1:
        raise field_error("property", _("Choose the property: %(codes)s.") % {
            "codes": ", ".join(p.code for p in allowed)})
    return prop


def listed_properties(user, code) -> list:
    """The properties a list covers: the one named (404 unless it is the user's), else all of theirs."""
    mine = permissions.my_properties(user)
    return [permissions.pick_property(user, mine, code)] if code else mine
