"""The customer list (filters, sort, keyset pages) and its CSV/XLSX export."""

import csv
import logging
import tempfile

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.core.roles import EDITORS, Role
from yingke.customers.forms import CustomerFilterForm
from yingke.customers.models import Customer
from yingke.customers.views.keyset import capped_count, paginate

audit = logging.getLogger("yingke.audit")

# sort value: (field, descending)
SORT_KEYS = {
    "name": ("name_pinyin", False),
    "-created": ("created_at", True),
    "created": ("created_at", False),
    "code": ("customer_code", False),
}
EXPORT_ROW_LIMIT = 1_000_000


def filtered_customers(request):
    """The visible customers narrowed by the filter form in the query string."""
    form = CustomerFilterForm(request.GET or None, user=request.user)
    qs = Customer.objects.visible_to(request.user)
    if form.is_bound:
        qs = form.apply(qs)
    return form, qs


@login_required
def customer_list(request):
    form, qs = filtered_customers(request)
    sort = form.get_sort() if form.is_bound else "name"
    field, descending = SORT_KEYS[sort]
    size = getattr(settings, "PAGE_SIZE", 25)
    page = paginate(
        # Prefetch rather than join: a join lets SQLite start from another table and sort a
        # million rows; the bare query walks the (property, sort key, id) index.
        qs.prefetch_related("owner", "property", "tags"),
        field, descending, size, after=request.GET.get("after", ""), before=request.GET.get("before", ""),
    )
    query = QueryDict(mutable=True)  # the filters for page links, without empty values and cursors
    for key, value in request.GET.items():
        if value and key not in ("after", "before"):
            query[key] = value
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "several_properties": form.several_properties,
        "can_export": request.user.can_export,
        "can_create": request.user.role in EDITORS,
        "no_access": request.user.role == Role.ADMIN,
        "title": _("Customers"),
    }
    template = "customers/_list_results.html" if request.htmx and not request.htmx.boosted else "customers/list.html"
    return render(request, template, context)


@login_required
def customer_count(request):
    """The capped number of customers matching the filters, loaded after the page (htmx):
    a count can scan many rows when a filter has no index, the page itself never does."""
    _form, qs = filtered_customers(request)
    count, more = capped_count(qs)
    return render(request, "customers/_list_count.html", {"count": count, "count_more": more})


def export_columns():
    return [
        (_("Customer code"), lambda c, u: c.customer_code),
        (_("Customer name"), lambda c, u: c.name),
        (_("Type"), lambda c, u: c.get_kind_display()),
        (_("Gender"), lambda c, u: c.get_gender_display()),
        (_("Mobile"), lambda c, u: c.mobile if u.sees_full_mobile else c.mobile_masked),
        (_("Email"), lambda c, u: c.email),
        (_("Date of birth"), lambda c, u: c.birth_date.isoformat() if c.birth_date else ""),
        (_("ID type"), lambda c, u: c.get_id_type_display()),
        # Never the number in clear: only the stored mask leaves the system.
        (_("ID number"), lambda c, u: c.id_number_masked),
        (_("Card number"), lambda c, u: c.card_no),
        (_("Employer"), lambda c, u: c.employer),
        (_("Job title"), lambda c, u: c.job_title),
        (_("Address"), lambda c, u: c.address),
        (_("Account manager"), lambda c, u: c.owner.label if c.owner else ""),
        (_("Tags"), lambda c, u: ", ".join(t.name for t in c.tags.all())),
        (_("Property"), lambda c, u: c.property.code),
        (_("File opened"), lambda c, u: timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M")),
    ]


def _export_rows(qs, user):
    columns = export_columns()
    yield [label for label, _get in columns]
    rows = (
        qs.select_related("owner", "property").prefetch_related("tags")
        .order_by("property_id", "name_pinyin", "id")[:EXPORT_ROW_LIMIT]
    )
    for customer in rows.iterator(chunk_size=2000):
        yield [get(customer, user) for _label, get in columns]


class _Echo:
    def write(self, value):
        return value


def _stream_csv(rows):
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so that Excel opens UTF-8 Chinese text correctly
    for row in rows:
        yield writer.writerow(row)


@login_required
def customer_export(request, fmt):
    """The filtered list as CSV or XLSX; only for roles allowed to export (R-1.2, R-12.2)."""
    if not request.user.can_export:
        raise PermissionDenied(_("Your role may not export customer lists."))
    form, qs = filtered_customers(request)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"customers-{stamp}.{fmt}"
    audit.info("export customers user=%s format=%s filters=%s", request.user.username, fmt, request.GET.urlencode())
    rows = _export_rows(qs, request.user)
    if fmt == "csv":
        response = StreamingHttpResponse(_stream_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    from openpyxl import Workbook

    # Write-only mode keeps memory flat; the file goes to disk and is streamed from there.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Customers"))
    for row in rows:
        sheet.append(row)
    tmp = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(tmp)
    tmp.seek(0)
    return FileResponse(
        tmp, as_attachment=True, filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
