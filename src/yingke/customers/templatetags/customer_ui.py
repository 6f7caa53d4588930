"""Template helpers of the guest-file UI."""

from django import template

from yingke.core import permissions
from yingke.customers import masking

register = template.Library()


@register.filter
def mobile_for(customer, user):
    """The mobile as this user may see it (R-12.1): full or masked."""
    return masking.customer_mobile(user, customer)


@register.filter
def id_for(customer, user):
    """The masked ID number as this user may see it (R-12.1)."""
    return masking.customer_id(user, customer)


@register.filter
def initial(name):
    return (name or "?")[:1].upper()


@register.filter
def can_create_files(user):
    """Whether the user may open new guest files (the quick form and the full form)."""
    return bool(permissions.creatable_properties(user))
