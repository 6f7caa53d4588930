"""{% held_total member as n %}: how much a member of staff still holds (control.handover), for
the staff page's link to the handover screen (core's templates know no domain app's code).
Counted only in the properties the viewer (the request's user) hands over — the handover
screen's scope — so a general manager of one property never sees another property's counts."""

from django import template

from yingke.control.handover import holdings, scope, total

register = template.Library()


@register.simple_tag(takes_context=True)
def held_total(context, member) -> int:
    if member is None or not getattr(member, "pk", None):
        return 0
    request = context.get("request")
    viewer = getattr(request, "user", None) or context.get("user")
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return 0
    ids = [p.pk for p in scope(viewer, member)]
    return total(holdings(member, ids)) if ids else 0
