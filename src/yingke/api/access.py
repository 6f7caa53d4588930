"""Fetching rows for an endpoint, always through the permission rule (R-1.2).

A row the user may not see is 404 (never data, never a hint that it exists); a row they
may see but not change is 403.
"""

from django.utils.translation import gettext as _

from yingke.api.errors import ApiError, not_found
from yingke.customers.models import Customer


def visible_customer(user, customer_id: int) -> Customer:
    c = Customer.objects.visible_to(user).select_related("property", "owner").filter(pk=customer_id).first()
    if c is None:
        raise not_found()
    return c


def editable_customer(user, customer_id: int) -> Customer:
    """A customer whose regular information `user` may change."""
    c = Customer.objects.editable_by(user).select_related("property", "owner").filter(pk=customer_id).first()
    if c is None:
        visible_customer(user, customer_id)  # 404 when not even visible
        raise ApiError(403, _("You may look at this file but not change its regular information."))
    return c


def visible_child(model, user, customer_id: int, pk: int, *related):
    """A preference, special date, note … of a visible customer, by its own id."""
    obj = model.objects.visible_to(user).select_related(*related).filter(customer_id=customer_id, pk=pk).first()
    if obj is None:
        raise not_found()
    return obj
