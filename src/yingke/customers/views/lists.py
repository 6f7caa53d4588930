"""The customer list (filters, sort, keyset pages), its count and its CSV/XLSX export.

Filters: customers.filters.CustomerFilterSet (shared with the API). Pages: the keyset
paginator of core.pagination (shared with the API). Export: core.export (R-11.6).
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.control import pattern
from yingke.core import export
from yingke.core.pagination import InvalidCursor, Page, capped_count, keyset_page
from yingke.core.permissions import EXPORT, can, creatable_properties, edits_files
from yingke.core.roles import Role
from yingke.customers import masking
from yingke.customers.filters import CustomerFilterSet

COUNT_CAP = 10_000
EMPTY_PAGE = Page(rows=[], has_next=False, has_previous=False, next_cursor="", previous_cursor="")


def bulk_assign_context(request, page) -> dict:
    """The "assign selected to …" bar (R-6.2): for roles that change files (GM, sales and
    account managers) when the page has rows; the owners they may assign, in one query.
    control.assignment.bulk_assign checks every ticked file again."""
    if not page.rows or not edits_files(request.user):
        return {"bulk_assign": False}
    from yingke.control.views_assign import bulk_owner_choices

    return {"bulk_assign": True, "bulk_owners": bulk_owner_choices(request.user),
            "bulk_next": request.get_full_path()}


def _context(request, filters, page, **extra):
    query = QueryDict(mutable=True)  # the filters for page links, without empty values and cursors
    for key, value in request.GET.items():
        if value and key not in ("after", "before"):
            query[key] = value
    return {
        **bulk_assign_context(request, page),
        "form": filters.form,
        "page": page,
        "query": query.urlencode(),
        "several_properties": filters.several_properties,
        "can_export": can(request.user, EXPORT) and not filters.invalid(),
        "can_create": bool(creatable_properties(request.user)),
        "no_access": request.user.role == Role.ADMIN,
        "title": _("Customers"),
        **extra,
    }


@login_required
def customer_list(request):
    filters = CustomerFilterSet(request.GET, user=request.user, ui=True)
    page, cursor_invalid = EMPTY_PAGE, False
    if not filters.invalid():  # invalid filters: the form shows why, the list shows nothing
        # Prefetch rather than join: a join lets SQLite start from another table and sort a
        # million rows; the bare query walks the (property, sort key, id) index.
        qs = filters.qs.prefetch_related("owner", "property", "tags", "module")
        size = getattr(settings, "PAGE_SIZE", 25)
        try:
            page = keyset_page(qs, filters.ordering(), size, after=request.GET.get("after", ""),
                               before=request.GET.get("before", ""))
        except InvalidCursor:  # an old or altered link: the first page, and a word why
            page, cursor_invalid = keyset_page(qs, filters.ordering(), size), True
    context = _context(request, filters, page, cursor_invalid=cursor_invalid)
    template = "customers/_list_results.html" if request.htmx and not request.htmx.boosted else "customers/list.html"
    return render(request, template, context)


@login_required
def customer_count(request):
    """The capped number of customers matching the filters, loaded after the page (htmx):
    a count can scan many rows when a filter has no index, the page itself never does."""
    filters = CustomerFilterSet(request.GET, user=request.user)
    count, more = (0, False) if filters.invalid() else capped_count(filters.qs, COUNT_CAP)
    return render(request, "customers/_list_count.html", {"count": count, "count_more": more})


def _top(customer, name) -> str:
    """"行政套房 ×3, 豪华大床房 ×1" from the stored consumption lists."""
    return ", ".join(f"{item} ×{n}" for item, n in (customer.consumption or {}).get(name, []))


# The export's columns, defined once (label, value of a customer for a user). Mobile and ID
# number as customers.masking shows them to that user; never the ID number in clear.
COLUMNS = [
    export.Column(gettext_lazy("Customer code"), lambda c, u: c.customer_code),
    export.Column(gettext_lazy("Customer name"), lambda c, u: c.name),
    export.Column(gettext_lazy("Type"), lambda c, u: c.get_kind_display()),
    export.Column(gettext_lazy("Gender"), lambda c, u: c.get_gender_display()),
    export.Column(gettext_lazy("Mobile"), lambda c, u: masking.customer_mobile(u, c)),
    export.Column(gettext_lazy("Email"), lambda c, u: c.email),
    export.Column(gettext_lazy("Date of birth"), lambda c, u: c.birth_date),
    export.Column(gettext_lazy("ID type"), lambda c, u: c.get_id_type_display()),
    export.Column(gettext_lazy("ID number"), lambda c, u: masking.customer_id(u, c)),
    export.Column(gettext_lazy("Card number"), lambda c, u: c.card_no),
    export.Column(gettext_lazy("Employer"), lambda c, u: c.employer),
    export.Column(gettext_lazy("Job title"), lambda c, u: c.job_title),
    export.Column(gettext_lazy("Address"), lambda c, u: c.address),
    export.Column(gettext_lazy("Area"), lambda c, u: c.area),
    export.Column(gettext_lazy("Account manager"), lambda c, u: c.owner.label if c.owner else ""),
    export.Column(gettext_lazy("Tags"), lambda c, u: ", ".join(t.name for t in c.tags.all())),
    export.Column(gettext_lazy("Property"), lambda c, u: c.property.code),
    # Grading and the customer module.
    export.Column(gettext_lazy("Grade"), lambda c, u: c.grade),
    export.Column(gettext_lazy("Computed grade"), lambda c, u: c.grade_computed),
    export.Column(gettext_lazy("Customer module"), lambda c, u: c.module.name if c.module else ""),
    export.Column(gettext_lazy("Agreed room rate"), lambda c, u: c.agreed_room_rate),
    export.Column(gettext_lazy("File opened"), lambda c, u: c.created_at),
    # The consumption profile, as stored on the file.
    export.Column(gettext_lazy("Number of visits"), lambda c, u: c.visit_count),
    export.Column(gettext_lazy("Total spend"), lambda c, u: c.total_spend),
    export.Column(gettext_lazy("Average spend"), lambda c, u: c.average_spend),
    export.Column(gettext_lazy("First visit"), lambda c, u: c.first_visit_at),
    export.Column(gettext_lazy("Last visit"), lambda c, u: c.last_visit_at),
    export.Column(gettext_lazy("Number of stays"), lambda c, u: c.stay_count),
    export.Column(gettext_lazy("Nights"), lambda c, u: c.nights),
    export.Column(gettext_lazy("Refunds"), lambda c, u: c.refund_count),
    export.Column(gettext_lazy("Refunded"), lambda c, u: c.refund_total),
    export.Column(gettext_lazy("Room types"), lambda c, u: _top(c, "room_types")),
    export.Column(gettext_lazy("Outlets"), lambda c, u: _top(c, "outlets")),
    export.Column(gettext_lazy("Booking channels"), lambda c, u: _top(c, "channels")),
    # The behaviour pattern (R-7.5, control.pattern); overdue against the property's local today.
    export.Column(gettext_lazy("Usual interval (days)"), lambda c, u: c.usual_interval),
    export.Column(gettext_lazy("Usual weekday"), lambda c, u: pattern.weekday_name(c.usual_weekday)),
    export.Column(gettext_lazy("Usual meal period"), lambda c, u: pattern.meal_period_name(c.usual_meal_period)),
    export.Column(gettext_lazy("Expected next visit"), lambda c, u: c.expected_next_visit),
    export.Column(gettext_lazy("Days overdue"), lambda c, u: pattern.overdue_days(c) or ""),
]


@login_required
def customer_export(request, fmt):
    """The filtered list as CSV or XLSX; core.export asks whether the user may (R-1.2, R-12.2)."""
    filters = CustomerFilterSet(request.GET, user=request.user, ui=True)
    if filters.invalid():
        context = _context(request, filters, EMPTY_PAGE, cursor_invalid=False)
        return render(request, "customers/list.html", context, status=400)
    rows = (filters.qs.select_related("owner", "property", "module").prefetch_related("tags")
            .order_by("property_id", "name_pinyin", "id"))
    return export.export_response(request.user, fmt, "customers", rows, COLUMNS, filters=filters.applied(),
                                  title=_("Customers"))
