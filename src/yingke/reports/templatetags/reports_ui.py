"""Formatting of the dashboard's figures."""

from decimal import Decimal

from django import template

from yingke.core import permissions

register = template.Library()


def _number(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


@register.filter
def share(value):
    """0.4531 → "45.3 %"; None (or anything not a number, e.g. a missing figure) → "—"."""
    if not _number(value):
        return "—"
    return f"{value * 100:.1f} %"


@register.filter
def money(value):
    if value is None:
        return "—"
    value = Decimal(value).quantize(Decimal("0.01"))  # grouped in every language (zh-hans groups nothing)
    return f"-¥{-value:,}" if value < 0 else f"¥{value:,}"


@register.filter
def count(value):
    if value is None:
        return "—"
    return f"{int(value):,}"


@register.filter
def at_least(value, line):
    """CSS modifier: whether a share reaches its line; "" for no figure (None, "", …)."""
    if not _number(value) or not _number(line):
        return ""
    return "is-good" if value >= line else "is-low"


@register.filter
def reads_reports(user) -> bool:
    """For the navigation: whether `user`'s role reads the dashboard (no query)."""
    return permissions.reads_reports(user)
