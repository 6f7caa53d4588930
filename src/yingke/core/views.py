"""Home dashboard, login lock-out page and small shared views."""

import datetime as dt

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.core.roles import EDITORS

UPCOMING_DAYS = 7
UPCOMING_SHOWN = 50
UPCOMING_FETCHED = 500  # sorted by date in Python (the next occurrence is computed), then cut


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def lockout(request, original_response=None, credentials=None):
    """django-axes calls this when a login is refused because of too many failures."""
    from django.conf import settings
    from django.contrib.auth.forms import AuthenticationForm

    form = AuthenticationForm(request, data=request.POST or None)
    minutes = int(float(getattr(settings, "AXES_COOLOFF_TIME", 0.25) or 0) * 60)
    context = {"form": form, "locked_out": True, "cooloff_minutes": minutes}
    return render(request, "registration/login.html", context, status=429)


@login_required
def home(request):
    """A small dashboard: shortcuts and the special dates of the coming week (R-2.5)."""
    from yingke.customers.lunar import describe, next_occurrence, specs_falling_between
    from yingke.customers.models import SpecialDate

    today = timezone.localdate()
    end = today + dt.timedelta(days=UPCOMING_DAYS)
    specs = (
        SpecialDate.objects.visible_to(request.user)
        .filter(specs_falling_between(today, end))
        .select_related("customer", "customer__owner")
        .order_by("customer__name_pinyin", "id")[:UPCOMING_FETCHED]
    )
    upcoming = []
    for spec in specs:
        when = next_occurrence(spec, today)
        upcoming.append({"spec": spec, "customer": spec.customer, "date": when, "in_days": (when - today).days,
                         "described": describe(spec)})
    upcoming.sort(key=lambda u: (u["date"], u["customer"].name_pinyin))
    context = {
        "upcoming": upcoming[:UPCOMING_SHOWN],
        "upcoming_more": len(upcoming) > UPCOMING_SHOWN,
        "upcoming_days": UPCOMING_DAYS,
        "today": today,
        "can_create": request.user.role in EDITORS and bool(request.user.property_ids()),
        "title": _("Home"),
    }
    return render(request, "core/home.html", context)
