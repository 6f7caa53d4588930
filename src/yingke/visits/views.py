"""Pages for visits and stays of a guest file (R-3.1, R-3.3): add, correct, void, history,
and the 360 page's visits section (loaded again for "show more").

Thin: files and visits are read through visible_to (a foreign id is 404), what the actor
may do is asked of core.permissions, and every write is visits.services'.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from yingke.core import permissions
from yingke.core.forms import run_service
from yingke.customers.views.detail import visible_customer, visits_context
from yingke.visits import services
from yingke.visits.forms import VisitForm, VoidForm
from yingke.visits.history import visit_history
from yingke.visits.models import Visit


def _visit(request, customer, item) -> Visit:
    qs = Visit.objects.visible_to(request.user).select_related("outlet", "served_by", "voided_by", "created_by")
    visit = get_object_or_404(qs, pk=item, customer_id=customer.pk)
    visit.customer = customer
    return visit


def _back(customer):
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#visits")


@login_required
@require_http_methods(["GET", "POST"])
def add(request, pk):
    """Record a visit (or, with ?stay=1, a stay) on the file."""
    customer = visible_customer(request, pk)
    permissions.require(request.user, permissions.RECORD, customer)
    stay = (request.POST.get("kind") or request.GET.get("kind")) == "stay" or request.GET.get("stay") == "1"
    form = VisitForm(request.POST if request.method == "POST" else None, customer=customer, stay=stay)
    if request.method == "POST" and form.is_valid() and run_service(
            form, services.record_visit, request.user, customer, **form.data_for_service()):
        messages.success(request, _("The stay was recorded.") if stay else _("The visit was recorded."))
        return _back(customer)
    title = _("Add a stay") if stay else _("Add a visit")
    return render(request, "visits/form.html", {"customer": customer, "form": form, "stay": stay, "title": title},
                  status=422 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def correct(request, pk, item):
    customer = visible_customer(request, pk)
    visit = _visit(request, customer, item)
    permissions.require(request.user, permissions.AMEND, visit)
    if visit.is_void:
        messages.error(request, _("A voided visit cannot be corrected; record a new one."))
        return _back(customer)
    form = VisitForm(request.POST if request.method == "POST" else None, customer=customer, stay=visit.is_stay,
                     initial=VisitForm.initial_from(visit))
    if request.method == "POST" and form.is_valid() and run_service(
            form, services.correct_visit, request.user, visit, **form.data_for_service()):
        messages.success(request, _("The correction was saved."))
        return _back(customer)
    return render(request, "visits/form.html", {"customer": customer, "form": form, "stay": visit.is_stay,
                                                "visit": visit, "title": _("Correct a visit")},
                  status=422 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def void(request, pk, item):
    customer = visible_customer(request, pk)
    visit = _visit(request, customer, item)
    permissions.require(request.user, permissions.AMEND, visit)
    form = VoidForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not visit.is_void and form.is_valid() and run_service(
            form, services.void_visit, request.user, visit, form.cleaned_data["reason"]):
        messages.success(request, _("The visit was voided; it stays in the history."))
        return _back(customer)
    return render(request, "visits/void.html", {"customer": customer, "visit": visit, "form": form,
                                                "title": _("Void a visit")},
                  status=422 if request.method == "POST" else 200)


@login_required
@require_GET
def history(request, pk, item):
    """Who recorded, corrected or voided the visit, and what changed."""
    customer = visible_customer(request, pk)
    visit = _visit(request, customer, item)
    context = {"customer": customer, "visit": visit, "changes": visit_history(visit), "title": _("Visit history")}
    template = "visits/_history.html" if request.htmx else "visits/history.html"
    return render(request, template, context)


@login_required
@require_GET
def section(request, pk):
    """The 360 page's visits section (htmx: "show more")."""
    customer = visible_customer(request, pk)
    return render(request, "visits/_section.html", visits_context(request, customer))
