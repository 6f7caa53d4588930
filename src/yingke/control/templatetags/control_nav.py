"""The control area's navigation: one link in the main menu and the tabs of its pages, for the
roles that work there (account and sales managers, the general manager). Which pages a role
may open is still decided by each page (core.permissions); these only hide links that would
answer 403."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yingke.core.permissions import is_staff
from yingke.core.roles import OWNER_ROLES, Role

register = template.Library()

# (url name, label, roles that see the tab)
TABS = [
    ("control:today", _("Today"), {Role.ACCOUNT_MANAGER, Role.SALES_MANAGER}),
    ("control:team", _("Team"), {Role.SALES_MANAGER, Role.GENERAL_MANAGER}),
    ("control:pool", _("Shared pool"), {Role.ACCOUNT_MANAGER, Role.SALES_MANAGER, Role.GENERAL_MANAGER}),
    ("control:claims", _("Claims"), {Role.ACCOUNT_MANAGER, Role.SALES_MANAGER, Role.GENERAL_MANAGER}),
    ("control:queue", _("Waiting for assignment"), {Role.SALES_MANAGER, Role.GENERAL_MANAGER}),
    ("control:targets", _("Position targets"), {Role.ACCOUNT_MANAGER, Role.SALES_MANAGER, Role.GENERAL_MANAGER}),
    ("control:nodes", _("Target nodes"), {Role.ACCOUNT_MANAGER, Role.SALES_MANAGER, Role.GENERAL_MANAGER}),
    ("control:assignment", _("Assignment rules"), {Role.SALES_MANAGER, Role.GENERAL_MANAGER}),
]


def works_in_control(user) -> bool:
    return is_staff(user) and (user.role in OWNER_ROLES or user.role == Role.GENERAL_MANAGER)


@register.filter
def control_home(user) -> str:
    """The control area's first page for `user`, or '' when it has none for them."""
    if not works_in_control(user):
        return ""
    return reverse("control:team" if user.role == Role.GENERAL_MANAGER else "control:today")


@register.inclusion_tag("control/_tabs.html", takes_context=True)
def control_tabs(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    current = getattr(getattr(request, "resolver_match", None), "view_name", "")
    tabs = [{"url": reverse(name), "label": label, "active": name == current}
            for name, label, roles in TABS if works_in_control(user) and user.role in roles]
    return {"tabs": tabs}
