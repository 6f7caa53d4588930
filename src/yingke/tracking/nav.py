"""The tracking pages' tab bar: `tabs(user, active)` for a view's context (`tabs`), rendered by
tracking/_tabs.html. A tab is shown to roles that may use its page (the page still asks
core.permissions)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from yingke.core.permissions import configurable_property_ids, is_staff, reads_reports
from yingke.core.roles import FILE_EDITORS, OWNER_ROLES, Role

TABS = [  # (url name, label, who sees the tab)
    ("leads", lambda: _("Leads"), "all"),
    ("board", lambda: _("Board"), "all"),
    ("tasks", lambda: _("Follow-up tasks"), "all"),
    ("follow_ups", lambda: _("Follow-ups"), "all"),
    ("commitments", lambda: _("Commitments"), "all"),
    ("plans", lambda: _("Visit plans"), "planners"),
    ("pipeline", lambda: _("Pipeline"), "editors"),
    ("funnel", lambda: _("Funnel"), "reports"),
    ("ordinals", lambda: _("By follow-up"), "reports"),
    ("sources", lambda: _("Lead sources"), "reports"),
    ("cadences", lambda: _("Cadences"), "configure"),
]


def _sees(user, who: str) -> bool:
    if not is_staff(user) or user.role == Role.ADMIN:
        return False
    if who == "all":
        return True
    if who == "editors":
        return user.role in FILE_EDITORS
    if who == "planners":
        return user.role in OWNER_ROLES or user.role == Role.GENERAL_MANAGER
    if who == "reports":
        return reads_reports(user)
    if who == "configure":
        return user.role == Role.GENERAL_MANAGER and bool(configurable_property_ids(user))
    return False


def tabs(user, active: str) -> list[dict]:
    return [{"url": reverse(f"tracking:{name}"), "label": label(), "active": name == active}
            for name, label, who in TABS if _sees(user, who)]


def sees_tracking(user) -> bool:
    return _sees(user, "all")
