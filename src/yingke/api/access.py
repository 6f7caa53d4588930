"""Fetching rows for an endpoint, always through the permission rule (R-1.2).

A row the user may not see is 404 (never data, never a hint that it exists); a row they
may see but not change is 403.
"""

from yingke.api.errors import not_found
from yingke.core import permissions
from yingke.customers.merge import visible_survivor
from yingke.customers.models import Customer


def visible_customer(user, customer_id: int) -> Customer:
    c = Customer.objects.visible_to(user).select_related("property", "owner").filter(pk=customer_id).first()
    if c is None:
        # A merged-away id answers with the file it became, when the user may see that.
        c = visible_survivor(user, customer_id)
    if c is None:
        raise not_found()
    return c


def editable_customer(user, customer_id: int) -> Customer:
    """A customer whose regular information `user` may change: 404 when not visible, 403
    when visible but not theirs to change (core.permissions decides)."""
    c = visible_customer(user, customer_id)
    permissions.require(user, permissions.EDIT, c)
    return c


def visible_child(model, user, customer_id: int, pk: int, *related):
    """A preference, special date, note … of a visible customer, by its own id."""
    obj = model.objects.visible_to(user).select_related(*related).filter(customer_id=customer_id, pk=pk).first()
    if obj is None:
        raise not_found()
    return obj
