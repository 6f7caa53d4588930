"""Template helpers of the guest-file UI."""

from django import template

register = template.Library()


@register.filter
def mobile_for(customer, user):
    """The mobile as this user may see it (R-12.1): full or masked."""
    if not customer.mobile:
        return ""
    return customer.mobile if getattr(user, "sees_full_mobile", False) else customer.mobile_masked


@register.filter
def initial(name):
    return (name or "?")[:1].upper()


@register.filter
def can_create_files(user):
    """Whether the user may open new guest files (the quick form and the full form)."""
    from yingke.core.roles import EDITORS

    return getattr(user, "role", None) in EDITORS and bool(user.property_ids())
