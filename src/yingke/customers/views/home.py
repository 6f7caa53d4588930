"""The home page: shortcuts and every care reminder due for special dates (R-2.5).

An account manager's home page is their daily control table (R-6.4, /control/today/), whose
"special dates" section lists these reminders for the coming week; the full list of care
reminders stays here, reached with a page number (`/?page=1`, the table's "All care
reminders" link and this page's own pager)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.core import permissions
from yingke.core.roles import Role
from yingke.customers.lunar import describe
from yingke.customers.models import SpecialDate
from yingke.customers.reminders import due_reminders

UPCOMING_PAGE = 50  # due care reminders per page of the home page; all of them are reachable


@login_required
def home(request):
    """Every due care reminder in date order then name, a page at a time (a count and one
    LIMIT query per page). An administrator, who sees no guest files, goes to the settings; an
    account manager opening the home page itself goes to their control table."""
    user = request.user
    if not permissions.sees_customers(user) and user.can_configure:
        return redirect("config:index")
    if user.role == Role.ACCOUNT_MANAGER and not request.GET and user.property_ids():
        return redirect("control:today")
    today = timezone.localdate()
    due = due_reminders(SpecialDate.objects.visible_to(user), today)
    page = Paginator(due, UPCOMING_PAGE).get_page(request.GET.get("page"))  # junk or out of range: a real page
    upcoming = [{"spec": o.spec, "customer": o.spec.customer, "date": o.date, "in_days": o.days,
                 "described": describe(o.spec)} for o in page]
    context = {
        "upcoming": upcoming,
        "upcoming_page": page,
        "upcoming_total": page.paginator.count,
        "today": today,
        "can_create": bool(permissions.creatable_properties(user)),
        "title": _("Home"),
    }
    return render(request, "customers/home.html", context)
