"""API: complaint reports (R-8.5).

GET /api/complaint-reports?property=CODE&from=YYYY-MM-DD&to=YYYY-MM-DD returns the figures of
the page /complaints/reports/ (complaints.reports.report, the one function behind both);
GET /api/complaint-reports/{table}.{csv|xlsx} (same query) exports one of its tables through
the one export helper. A role that reads no complaint reports 403; a property the caller does
not work at, or an unknown one or table, 404; a period that is not understood 422.
"""

from typing import Any

from django.http import Http404
from ninja import Query, Router

from yingke.api.errors import ApiError, ErrorOut, invalid_input
from yingke.complaints import reports
from yingke.core import export, periods

router = Router(tags=["complaints"])
CODE = r"^[A-Za-z0-9_-]{1,20}$"
DAY = r"^\d{4}-\d{2}(-\d{2})?$"
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _figures(user, property, from_, to):
    prop, _props = reports.property_for(user, property)
    period, errors = periods.parse_period(prop, from_, to)
    if errors:
        raise ApiError(422, invalid_input(), errors)
    return reports.report(user, prop, period)


@router.get("/complaint-reports", response={200: dict[str, Any], **ERRORS}, summary="Complaint report figures",
            description="Counts by type, outlet, severity and local month of the complaints recorded in the "
                        "period (default: the last 12 months), hours to resolve (median, 90th percentile), the "
                        "share resolved on the spot, open and overdue now, and whether the guest came back "
                        "within 30 and 90 days against comparable guests. Shares are fractions (0.4531).")
def get_complaint_reports(request, property: str = Query(None, pattern=CODE, description="Property code; default: "
                                                                                         "the caller's first."),
                          from_: str = Query(None, alias="from", pattern=DAY, description="First day, YYYY-MM-DD."),
                          to: str = Query(None, pattern=DAY, description="Last day, YYYY-MM-DD.")):
    return _figures(request.auth, property, from_, to)


@router.get("/complaint-reports/{table}.{fmt}", response={200: None, **ERRORS}, summary="Export a complaint table",
            description="table: " + ", ".join(reports.TABLES) + "; fmt: csv or xlsx.")
def export_complaint_table(request, table: str, fmt: str, property: str = Query(None, pattern=CODE),
                           from_: str = Query(None, alias="from", pattern=DAY),
                           to: str = Query(None, pattern=DAY)):
    if table not in reports.TABLES or fmt not in export.FORMATS:
        raise Http404
    data = _figures(request.auth, property, from_, to)
    title, _section, columns = reports.TABLES[table]
    return export.export_response(request.auth, fmt, f"complaints-{table}", reports.rows_of(data, table), columns,
                                  filters={"property": data["property"], "from": data["from"], "to": data["to"]},
                                  title=str(title)[:31])
