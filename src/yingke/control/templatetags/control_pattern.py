"""{% behaviour_pattern customer as p %}: the behaviour pattern of a file for the 360 page
(control/_pattern_card.html; control.pattern.describe). One query (the meal period's name)
when the file has a pattern, none otherwise."""

from django import template

from yingke.control.pattern import describe

register = template.Library()


@register.simple_tag
def behaviour_pattern(customer) -> dict:
    if customer is None or not getattr(customer, "pk", None):
        return {"has_pattern": False}
    return describe(customer)
