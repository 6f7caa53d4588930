"""{% unread_notifications as n %}: the reader's unread notification count for the bell of the
top bar (base.html), from the counter core.notify keeps on the user: no query."""

from django import template

from yingke.core import notify

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return notify.bell_count(user)
