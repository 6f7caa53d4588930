"""{% held_total member as n %}: how much a member of staff still holds (control.handover), for
the staff page's link to the handover screen (core's templates know no domain app's code)."""

from django import template

from yingke.control.handover import holdings, total

register = template.Library()


@register.simple_tag
def held_total(member) -> int:
    return total(holdings(member)) if member is not None and getattr(member, "pk", None) else 0
