"""Template helpers of the import pages (and the navigation link to them)."""

from django import template
from django.utils.translation import gettext as _

from yingke.imports import uploads

register = template.Library()


@register.filter
def can_import(user):
    """Whether the user may import files into some property (the "Imports" link)."""
    return uploads.may_import(user)


@register.filter
def duration(seconds):
    """0.4 → '< 1 s', 12 → '12 s', 75 → '1 min 15 s', 3700 → '1 h 1 min' (translated units)."""
    if seconds is None:
        return ""
    if seconds < 1:
        return _("< 1 s")
    s = int(seconds + 0.5)
    if s < 60:
        return _("%(s)d s") % {"s": s}
    if s < 3600:
        return _("%(m)d min %(s)d s") % {"m": s // 60, "s": s % 60}
    return _("%(h)d h %(m)d min") % {"h": s // 3600, "m": s % 3600 // 60}


@register.filter
def percent(fraction):
    return "" if fraction is None else f"{fraction * 100:.0f}"


@register.filter
def at(cells, index):
    return cells[index] if 0 <= index < len(cells) else ""


@register.filter
def thousands(value):
    """312000 → '312,000' in every language (humanize's intcomma groups nothing in zh-hans)."""
    try:
        return f"{round(float(value)):,}" if isinstance(value, float) else f"{int(value):,}"
    except (TypeError, ValueError):
        return value
