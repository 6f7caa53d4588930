"""How a mobile or an ID number is shown to a user (R-12.1): the one place that decides.

Templates (the `mobile_for` / `id_for` filters), API responses, exports and the change
history all call these; core.permissions says who sees what.
"""

from django.utils.translation import gettext_lazy as _

from yingke.core import permissions
from yingke.customers.identity import mask_mobile


def shown_mobile(user, mobile: str) -> str:
    if not mobile:
        return ""
    return mobile if permissions.sees_full_mobile(user) else mask_mobile(mobile)


def shown_id_mask(user, masked: str) -> str:
    """The stored mask (first 4 and last 4 characters) as this user may see it: roles
    without the right see only the last 4 (see permissions.sees_id_region)."""
    if not masked or permissions.sees_id_region(user):
        return masked
    return "*" * (len(masked) - 4) + masked[-4:] if len(masked) > 4 else "*" * len(masked)


def customer_mobile(user, customer) -> str:
    return shown_mobile(user, customer.mobile)


def customer_id(user, customer) -> str:
    return shown_id_mask(user, customer.id_number_masked)


# What every page and response shows in place of a file the user may not open: the
# organisation's contacts, the change history, group accounts (one rule, R-1.2).
HIDDEN_FILE = _("a file you may not open")
