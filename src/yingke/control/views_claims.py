"""Claims pages (R-6.1): the shared pool, the claims to decide and one's own claims, the
ownership card of the 360 page, and the posts that claim, release, approve, refuse and
withdraw. Thin: control.claims decides everything (and asks core.permissions).

  * /control/pool/ – files without an account manager in the user's properties (the
    customer list's filters, forced to owner=none; highest total spend first by default),
    keyset pages; ?property= of a property they do not work at (or none) is 404. Claim buttons for the roles that claim (account and sales managers); the
    general manager, the front desk and the supervisor see the list without them.
  * /control/claims/ – pending claims the user decides (approve, refuse with a reason), the
    recent decisions, the user's own claims (status, decision, withdraw) and the form that
    claims a file by its customer code (see control.claims on what it reveals).
  * Posts answer with a redirect and a message; bad input changes nothing. A file or claim
    the user may not see is 404, one they see but may not act on is 403.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yingke.control import claims
from yingke.control.models import Assignment, Claim
from yingke.core import permissions
from yingke.core.pagination import InvalidCursor, Page, keyset_page
from yingke.core.permissions import is_staff
from yingke.core.roles import Role
from yingke.core.services import valid_id
from yingke.customers.filters import CustomerFilterSet
from yingke.customers.models import Customer

POOL_ORDER = "-spend"
EMPTY_PAGE = Page(rows=[], has_next=False, has_previous=False, next_cursor="", previous_cursor="")
CLAIMS_SHOWN = 100
DECIDED_SHOWN = 30
HISTORY_SHOWN = 30
# The customer list's filters offered on the pool page (owner is forced; the rest as there).
HIDDEN_FILTERS = {"owner"}


# ---- the pool -----------------------------------------------------------------------------------

def _pool_data(get) -> QueryDict:
    data = get.copy()
    data["owner"] = "none"
    if not data.get("order"):
        data["order"] = POOL_ORDER
    return data


def _pool_query(get) -> str:
    """The filters for page links and the post-back: without cursors, the forced owner and empties."""
    query = QueryDict(mutable=True)
    for key, value in get.items():
        if value and key not in ("after", "before", "owner", "back"):
            query[key] = value
    return query.urlencode()


@login_required
def pool(request):
    user = request.user
    code = request.GET.get("property")
    if code:  # one of the user's properties: any other code, known or not, is 404
        permissions.pick_property(user, permissions.my_properties(user), code)
    filters = CustomerFilterSet(_pool_data(request.GET), user=user, ui=True)
    page, cursor_invalid = EMPTY_PAGE, False
    if not filters.invalid():
        qs = filters.qs.prefetch_related("property", "tags", "module")
        size = getattr(settings, "PAGE_SIZE", 25)
        try:
            page = keyset_page(qs, filters.ordering(), size, after=request.GET.get("after", ""),
                               before=request.GET.get("before", ""))
        except InvalidCursor:
            page, cursor_invalid = keyset_page(qs, filters.ordering(), size), True
    query = _pool_query(request.GET)
    context = {
        "form": filters.form,
        "hidden_filters": HIDDEN_FILTERS,
        "page": page,
        "query": query,
        "count_query": (query + "&" if query else "") + "owner=none",
        "several_properties": filters.several_properties,
        "can_claim": claims.claim_roles(user),
        "cursor_invalid": cursor_invalid,
        "no_access": not permissions.sees_customers(user),
        "has_filters": any(request.GET.get(k) for k in filters.form.fields if k not in ("order", "owner")),
        "title": _("Shared pool"),
    }
    template = "control/_pool_results.html" if request.htmx and not request.htmx.boosted else "control/pool.html"
    return render(request, template, context)


# ---- posts ----------------------------------------------------------------------------------------

def _back(request, customer_id=None, default="pool"):
    """Where a post returns: the 360 page, the claims page or the pool (with its filters)."""
    back = request.POST.get("back", "") or default
    if back == "detail" and customer_id is not None:
        return redirect(reverse("customers:detail", args=[customer_id]) + "#ownership")
    if back != "pool":
        return redirect("control:claims")
    query = _pool_query(QueryDict(request.POST.get("query", "")[:2000]))
    return redirect(reverse("control:pool") + (f"?{query}" if query else ""))


def _error(request, error: ValidationError):
    items = error.message_dict.values() if hasattr(error, "error_dict") else [error.messages]
    for texts in items:
        for text in texts:
            messages.error(request, text)


def _visible_file(request, customer_id) -> Customer:
    c = (Customer.objects.visible_to(request.user).select_related("owner", "property").filter(pk=customer_id).first()
         if valid_id(customer_id) else None)
    if c is None:
        raise Http404
    return c


@login_required
@require_POST
def claim(request, customer_id):
    from_pool = request.POST.get("from_pool") == "1"  # the pool page: never a request
    try:
        outcome = claims.claim_id(request.user, customer_id, request.POST.get("reason", ""), from_pool=from_pool)
    except ValidationError as e:
        _error(request, e)
        seen = valid_id(customer_id) and Customer.objects.visible_to(request.user).filter(pk=customer_id).exists()
        return _back(request, customer_id if seen else None)
    c = outcome.customer
    if outcome.owned:
        messages.success(request, _("%(name)s (%(code)s) is now yours.") % {"name": c.name, "code": c.customer_code})
    else:
        messages.success(request, _("Your claim of %(code)s was sent; the account manager's sales manager "
                                    "decides it.") % {"code": c.customer_code})
    return _back(request, c.pk)


@login_required
@require_POST
def claim_code(request):
    """Claim a file by its customer code (the way to claim a file one may not see)."""
    user = request.user
    props = list(user.properties.all()) if is_staff(user) else []
    code = request.POST.get("property", "")
    prop = next((p for p in props if p.code == code), props[0] if len(props) == 1 else None)
    if prop is None:
        messages.error(request, _("Choose one of your properties."))
        return redirect("control:claims")
    try:
        outcome = claims.claim_by_code(user, prop, request.POST.get("code", ""), request.POST.get("reason", ""))
    except ValidationError as e:
        _error(request, e)
    else:
        if outcome.owned:
            messages.success(request, _("File %(code)s was in the shared pool and is now yours.")
                             % {"code": outcome.customer.customer_code})
        else:
            messages.success(request, _("Your claim of %(code)s was sent; the account manager's sales manager "
                                        "decides it.") % {"code": outcome.customer.customer_code})
    return redirect("control:claims")


@login_required
@require_POST
def release(request, customer_id):
    c = _visible_file(request, customer_id)
    try:
        claims.release(request.user, c, request.POST.get("reason", ""))
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, _("%(name)s (%(code)s) is back in the shared pool.") % {
            "name": c.name, "code": c.customer_code})
    return _back(request, c.pk)


def _decision(request, claim_id, fn, done, *args):
    made = claims.claim_for(request.user, claim_id)
    try:
        fn(request.user, made, *args)
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, done % {"code": made.customer.customer_code})
    return _back(request, made.customer_id, default="claims")


@login_required
@require_POST
def approve(request, claim_id):
    return _decision(request, claim_id, claims.approve, _("Claim of %(code)s approved; the file changed hands."),
                     request.POST.get("reason", ""))


@login_required
@require_POST
def refuse(request, claim_id):
    return _decision(request, claim_id, claims.refuse, _("Claim of %(code)s refused."),
                     request.POST.get("reason", ""))


@login_required
@require_POST
def withdraw(request, claim_id):
    return _decision(request, claim_id, claims.withdraw, _("Your claim of %(code)s was withdrawn."))


# ---- the claims page ------------------------------------------------------------------------------

def _mark_visible(user, rows):
    """Set `.openable` on claims whose file the user may open (one query): others show the code only."""
    ids = {r.customer_id for r in rows}
    seen = set(Customer.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    for r in rows:
        r.openable = r.customer_id in seen
    return rows


@login_required
def claims_page(request):
    user = request.user
    related = ("customer", "claimant", "owner", "decided_by", "property")
    decide = claims.decidable(user)
    pending = list(decide.filter(status=Claim.Status.PENDING).select_related(*related)
                   .order_by("created_at", "pk")[:CLAIMS_SHOWN])
    decided = _mark_visible(user, list(decide.exclude(status=Claim.Status.PENDING).select_related(*related)
                                       .order_by("-decided_at", "-pk")[:DECIDED_SHOWN]))
    own = _mark_visible(user, list(claims.mine(user).select_related("customer", "decided_by", "property")
                                   .order_by("-created_at", "-pk")[:CLAIMS_SHOWN]))
    props = list(user.properties.order_by("code")) if claims.claim_roles(user) else []
    return render(request, "control/claims.html", {
        "pending": pending, "decided": decided, "mine": own, "code_properties": props,
        "several": is_staff(user) and len(user.property_ids()) > 1,
        "decides": bool(pending or decided) or (is_staff(user) and user.role in (Role.GENERAL_MANAGER, Role.SALES_MANAGER)),
        "title": _("Claims"),
    })


# ---- the 360 page's ownership card ------------------------------------------------------------------

def ownership_context(user, customer) -> dict:
    history = list(Assignment.objects.filter(customer=customer).select_related("owner", "previous_owner", "actor")
                   .order_by("-created_at", "-pk")[:HISTORY_SHOWN])
    my_claim = (Claim.objects.filter(customer=customer, claimant_id=user.pk, status=Claim.Status.PENDING).first()
                if is_staff(user) else None)
    can_release = (customer.owner_id is not None and permissions.may_release(user)
                   and permissions.can(user, permissions.EDIT, customer))
    pending = 0
    if is_staff(user) and user.role in (Role.GENERAL_MANAGER, Role.SALES_MANAGER):
        pending = claims.decidable(user).filter(customer=customer, status=Claim.Status.PENDING).count()
    return {
        "customer": customer,
        "assignments": history,
        "my_claim": my_claim,
        "can_claim": my_claim is None and claims.may_claim(user, customer),
        "can_release": can_release,
        "pending_claims": pending,
    }


@login_required
def ownership_card(request, customer_id):
    c = _visible_file(request, customer_id)
    context = ownership_context(request.user, c)
    if request.htmx:
        return render(request, "control/_ownership_card.html", context)
    context["title"] = c.name
    return render(request, "control/ownership.html", context)

