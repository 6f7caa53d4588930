"""The grade badge (R-4), one definition for every page: A gold, B silver, C bronze, D grey,
and a faint dash for a customer not graded yet."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from yingke.core import permissions

register = template.Library()


@register.filter
def reads_grading(user) -> bool:
    """Navigation: the grading pages (GM, administrator, sales manager); no query."""
    return permissions.reads_grading(user)


@register.filter
def follows_losses(user) -> bool:
    """Navigation: the lost-customer list, for the roles that change files (they explain losses)."""
    return permissions.edits_files(user)


def _titles():
    return {"A": _("Grade A"), "B": _("Grade B"), "C": _("Grade C"), "D": _("Grade D (dormant or potential)")}


@register.filter
def grade_badge(grade):
    """<span class="grade grade-a" title="Grade A">A</span>; not graded yet: a muted dash."""
    grade = (grade or "").strip()
    if grade not in ("A", "B", "C", "D"):
        return format_html('<span class="grade grade-none" title="{}">–</span>', _("Not graded yet"))
    return format_html('<span class="grade grade-{}" title="{}">{}</span>', grade.lower(), _titles()[grade], grade)
