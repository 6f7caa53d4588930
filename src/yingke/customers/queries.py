"""The row-level permission rule for guest files (R-1.2), in the query layer.

`customer_rule(user, path)` is the single definition of which customers a member of
staff may see. Customer.objects.visible_to(user) applies it directly; every model that
hangs off a customer (preferences, dates, notes, contacts, visits …) applies it through
its path to the customer. Lists, detail pages, search, the API and exports all start
from `visible_to`, so a new view cannot forget the rule.
"""

from django.db import models
from django.db.models import Q

from yingke.core.roles import PROPERTY_WIDE, Role

NOTHING = Q(pk__in=[])


def customer_rule(user, path: str = "") -> Q:
    """A Q object selecting the customers `user` may see; `path` prefixes the lookups."""
    p = f"{path}__" if path else ""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    props = user.property_ids()
    in_props = Q(**{f"{p}property_id__in": props})
    role = user.role
    if role in PROPERTY_WIDE:
        return in_props
    pool = Q(**{f"{p}owner__isnull": True})
    if role == Role.SALES_MANAGER:
        team = Q(**{f"{p}owner_id": user.pk}) | Q(**{f"{p}owner__manager_id": user.pk})
        return in_props & (pool | team)
    if role == Role.ACCOUNT_MANAGER:
        return in_props & (pool | Q(**{f"{p}owner_id": user.pk}))
    return NOTHING  # administrators see no customer data


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(customer_rule(user))

    def editable_by(self, user):
        """Files whose regular information `user` may change (front desk annotates only)."""
        from yingke.core.roles import FILE_EDITORS

        if user is None or not user.is_authenticated or user.role not in FILE_EDITORS:
            return self.none()
        return self.visible_to(user)


class RelatedToCustomerQuerySet(models.QuerySet):
    """For models that belong to a customer: visible when their customer is."""

    def visible_to(self, user):
        path = getattr(self.model, "customer_path", "customer")
        return self.filter(customer_rule(user, path))
