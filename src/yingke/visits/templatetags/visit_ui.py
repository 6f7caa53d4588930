"""Template helpers of the visits section."""

from django import template

register = template.Library()


@register.filter
def absolute(value):
    """|absolute: a refund (a negative amount) is shown as "−¥88.00" with a refund label."""
    try:
        return abs(value)
    except TypeError:
        return value
