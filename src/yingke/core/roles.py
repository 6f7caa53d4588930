"""Staff roles (R-1.2) and what each may do beyond seeing rows.

This module only names the roles and the sets they belong to; what a user may see and
do is decided in core/permissions.py, from these sets.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GENERAL_MANAGER = "gm", _("General manager")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    FRONT_DESK = "front_desk", _("Lobby manager / front desk")
    SUPERVISOR = "supervisor", _("Guest-service supervisor")
    ADMIN = "admin", _("Administrator")


# Roles that see every guest file of their properties.
PROPERTY_WIDE = {Role.GENERAL_MANAGER, Role.FRONT_DESK, Role.SUPERVISOR}
# Roles allowed to export customer lists (R-1.2: front desk may not).
EXPORTERS = {Role.GENERAL_MANAGER, Role.SALES_MANAGER, Role.ACCOUNT_MANAGER}
# Roles that see full mobile numbers of the files they can see.
FULL_MOBILE = {Role.GENERAL_MANAGER, Role.SALES_MANAGER, Role.ACCOUNT_MANAGER}
# Roles that may open new guest files (the front desk does, at check-in: ).
EDITORS = {Role.GENERAL_MANAGER, Role.SALES_MANAGER, Role.ACCOUNT_MANAGER, Role.FRONT_DESK}
# Roles that may change the regular information of an existing file they can see; the
# front desk and the supervisor look up and annotate.
FILE_EDITORS = {Role.GENERAL_MANAGER, Role.SALES_MANAGER, Role.ACCOUNT_MANAGER}
# Roles that can be the account manager responsible for files.
OWNER_ROLES = {Role.ACCOUNT_MANAGER, Role.SALES_MANAGER}
# Roles that manage configuration (properties, outlets, staff).
CONFIGURERS = {Role.ADMIN, Role.GENERAL_MANAGER}
# Roles that run file imports into their properties (customers, visits, stays).
IMPORTERS = {Role.GENERAL_MANAGER, Role.ADMIN}
# Roles that run customer grading and change its parameters in their properties.
GRADERS = {Role.GENERAL_MANAGER, Role.ADMIN}
# Roles that read the management reports (dashboard, module contribution, churn): the general
# manager for the property, the sales manager limited to their team.
REPORTERS = {Role.GENERAL_MANAGER, Role.SALES_MANAGER}
# Roles that approve a complaint's compensation above the property's threshold.
COMPENSATION_APPROVERS = {Role.GENERAL_MANAGER}
# Roles that read the complaint reports of their properties.
COMPLAINT_REPORTERS = {Role.GENERAL_MANAGER, Role.FRONT_DESK, Role.SUPERVISOR}
# Who an overdue complaint step escalates to, level by level.
ESCALATION_LEVELS = {1: Role.FRONT_DESK, 2: Role.GENERAL_MANAGER}
