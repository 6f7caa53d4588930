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
