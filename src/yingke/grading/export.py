"""The export of a grading snapshot (issue 13): one row per customer of the property, these
columns in this order, for the command line (`yingke grade --export`), the web page and
the API (both through core.export.export_response with `SNAPSHOT_COLUMNS`).

Order: A by the R-4.4 key, then B and C by the R-4.5 key, then D by customer code (the
stored `GradeEntry.position`). The grade is the computed grade of the snapshot (a general
manager's override is shown beside it in the UI, not mixed into the computation's table).
Amount and standard have two decimals; for D: visits 0, amount 0.00, standard and ranks empty.
"""

from decimal import Decimal

from yingke.core.export import Column, write_export_file
from yingke.grading.models import GradeEntry

HEADER = ["customer_code", "name", "grade", "visits", "amount", "standard", "rank_visits", "rank_amount"]
SNAPSHOT_COLUMNS = [Column(label, (lambda row, user, i=i: row[i])) for i, label in enumerate(HEADER)]
CENTS = Decimal("0.01")
XLSX_MONEY_FORMAT = "0.00"
# The one definition of the file's settings, for the command line (write_export_file) and the
# page and API (export_response): CSV in UTF-8 without a BOM, XLSX money cells as 0.00.
FILE_SETTINGS = {"bom": False, "decimal_format": XLSX_MONEY_FORMAT}


def _money(value):
    return None if value is None else Decimal(value).quantize(CENTS)


def snapshot_rows(run, customers_qs=None):
    """Yield (customer_code, name, grade, visits, amount, standard, rank_visits, rank_amount)
    for every entry of `run`, in export order; `customers_qs` (e.g. a user's visible
    customers) limits the rows. Read in chunks: memory stays flat."""
    entries = GradeEntry.objects.filter(run=run)
    if customers_qs is not None:
        entries = entries.filter(customer__in=customers_qs.values("pk"))
    rows = entries.order_by("position", "customer_id").values_list(
        "customer__customer_code", "customer__name", "grade", "visits", "amount", "standard", "rank_visits",
        "rank_amount")
    for code, name, grade, visits, amount, standard, rank_f, rank_m in rows.iterator(chunk_size=2000):
        if grade == "D":
            yield code, name, grade, 0, Decimal("0.00"), None, None, None
        else:
            yield code, name, grade, visits, _money(amount), _money(standard), rank_f, rank_m


def export_name(run) -> str:
    return f"grades-{run.property.code}-{run.as_of.isoformat()}"


def write_snapshot_file(user, run, path, customers_qs=None) -> int:
    """Write the snapshot to `path` (.csv: UTF-8 without a BOM, for programs; .xlsx: money
    cells typed with the 0.00 format). Audited like every export. Returns the rows written."""
    return write_export_file(user, path, "grades", snapshot_rows(run, customers_qs), SNAPSHOT_COLUMNS,
                             filters={"run": run.pk, "property": run.property.code, "as_of": run.as_of.isoformat()},
                             title=export_name(run), **FILE_SETTINGS)
