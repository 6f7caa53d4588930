"""API: the management dashboard (R-11.1, R-11.2, R-11.6).

GET /api/reports/dashboard?property=CODE&from=YYYY-MM&to=YYYY-MM[&from_run=&to_run=] returns
the figures of the web page (reports.dashboard.dashboard, the one function behind both);
GET /api/reports/dashboard/{table}.{csv|xlsx} (same query) exports one of its tables through
the one export helper. A role that reads no reports, or a property the caller does not work
at, 403; an unknown property or table 404; a period that is not understood 422. A sales
manager's figures cover their team's files; occupancy and managed/walk-in tables are null
for them (their exports 403).
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router

from yingke.api.errors import ApiError, ErrorOut, invalid_input
from yingke.core import export
from yingke.reports import dashboard
from yingke.reports.tables import TABLES, rows_of

router = Router(tags=["reports"])
CODE = r"^[A-Za-z0-9_-]{1,20}$"
MONTH = r"^\d{4}-\d{2}(-\d{2})?$"
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _figures(user, property, from_, to, from_run, to_run):
    prop, _props = dashboard.property_for(user, property)
    period, errors = dashboard.parse_period(prop, from_, to)
    if errors:
        raise ApiError(422, invalid_input(), errors)
    return dashboard.dashboard(user, prop, period, from_run, to_run)


@router.get("/reports/dashboard", response={200: dict[str, Any], **ERRORS}, summary="Dashboard figures",
            description="The figures of the dashboard page for a period of whole months (default: the last 12). "
                        "Shares are fractions (0.4531); money is a decimal string; `occupancy` and `managed` are "
                        "null for a sales manager (team-limited).")
def get_dashboard(request, property: str = Query(None, pattern=CODE, description="Property code; default: the "
                                                                                  "caller's first."),
                  from_: str = Query(None, alias="from", pattern=MONTH, description="First month, YYYY-MM."),
                  to: str = Query(None, pattern=MONTH, description="Last month, YYYY-MM."),
                  from_run: int = Query(None, ge=1, description="Grading run of the migration's start."),
                  to_run: int = Query(None, ge=1, description="Grading run of the migration's end.")):
    return _figures(request.auth, property, from_, to, from_run, to_run)


@router.get("/reports/dashboard/{table}.{fmt}", response={200: None, **ERRORS}, summary="Export a dashboard table",
            description="table: " + ", ".join(TABLES) + "; fmt: csv or xlsx.")
def export_dashboard_table(request, table: str, fmt: str,
                           property: str = Query(None, pattern=CODE), from_: str = Query(None, alias="from",
                                                                                         pattern=MONTH),
                           to: str = Query(None, pattern=MONTH), from_run: int = Query(None, ge=1),
                           to_run: int = Query(None, ge=1)):
    if table not in TABLES or fmt not in export.FORMATS:
        raise Http404
    data = _figures(request.auth, property, from_, to, from_run, to_run)
    rows = rows_of(data, table)
    if rows is None:
        raise PermissionDenied(_("This table covers the whole property; your reports are limited to your team."))
    title, _section, columns, _team = TABLES[table]
    return export.export_response(request.auth, fmt, f"dashboard-{table}", rows, columns,
                                  filters={"property": data["property"], "from": data["from"], "to": data["to"]},
                                  title=str(title)[:31])
