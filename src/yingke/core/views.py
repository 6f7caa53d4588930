"""Home dashboard, login lock-out page and small shared views."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.core.roles import EDITORS

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
    """A small dashboard: shortcuts and the care reminders due for special dates (R-2.5)."""
    from yingke.customers.lunar import describe
    from yingke.customers.models import SpecialDate
    from yingke.customers.reminders import due_reminders

    today = timezone.localdate()
    due = due_reminders(SpecialDate.objects.visible_to(request.user), today, limit=UPCOMING_FETCHED)
    upcoming = [{"spec": o.spec, "customer": o.spec.customer, "date": o.date, "in_days": o.days,
                 "described": describe(o.spec)} for o in due]
    context = {
        "upcoming": upcoming[:UPCOMING_SHOWN],
        "upcoming_more": len(upcoming) > UPCOMING_SHOWN,
        "today": today,
        "can_create": request.user.role in EDITORS and bool(request.user.property_ids()),
        "title": _("Home"),
    }
    return render(request, "core/home.html", context)
