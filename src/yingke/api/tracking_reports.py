"""API: the tracking reports (R-7.1, R-7.3, R-11.5) and marketing spend.

GET /api/tracking/reports/{funnel|ordinals|sources}?property=CODE&from=YYYY-MM-DD&to=YYYY-MM-DD
returns the figures of the page of the same name (tracking.reports, the one function behind
both); GET /api/tracking/reports/{report}/{table}.{csv|xlsx} (same query) exports one of its
tables through the one export helper. A role that reads no reports 403 (a sales manager's
figures cover their team); a property the caller does not work at, or an unknown one, report or
table, 404; a period that is not understood 422.

GET /api/tracking/spend?property=CODE[&year=YYYY] lists the spend per source and month; PUT
/api/tracking/spend/{source}/{month} sets one (month YYYY-MM; amount a number or a text such as
"￥1,234.50", ≥ 0, two decimals at most): whoever configures the property (the general manager).
"""

from decimal import Decimal
from typing import Any

from django.http import Http404
from ninja import Field, Query, Router, Schema
from pydantic import StrictInt, StrictStr

from yingke.api.errors import ApiError, ErrorOut, invalid_input
from yingke.api.schemas import In
from yingke.core import export, periods
from yingke.core.permissions import CONFIGURE, chosen_property
from yingke.tracking import reports, spend

router = Router(tags=["tracking"])
CODE = r"^[A-Za-z0-9_-]{1,20}$"
DAY = r"^\d{4}-\d{2}(-\d{2})?$"
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
PERIOD = ("Figures of the period (local dates, default: the last 12 months). Shares and rates are fractions "
          "(0.4531); money is a decimal string.")


def _figures(user, report, property, from_, to):
    prop, _props = reports.property_for(user, property)
    period, errors = periods.parse_period(prop, from_, to)
    if errors:
        raise ApiError(422, invalid_input(), errors)
    return reports.REPORTS[report](user, prop, period)


def _property_query(description="Property code; default: the caller's first."):
    return Query(None, pattern=CODE, description=description)


@router.get("/tracking/reports/funnel", response={200: dict[str, Any], **ERRORS}, summary="Lead funnel",
            description="The leads created in the period: how many reached each stage (a dropped lead counts up to "
                        "where it got), the rate from each stage to the next, to customer; per source and per "
                        "account manager. " + PERIOD)
def get_funnel_report(request, property: str = _property_query(),
                      from_: str = Query(None, alias="from", pattern=DAY, description="First day, YYYY-MM-DD."),
                      to: str = Query(None, pattern=DAY, description="Last day, YYYY-MM-DD.")):
    return _figures(request.auth, "funnel", property, from_, to)


@router.get("/tracking/reports/ordinals", response={200: dict[str, Any], **ERRORS},
            summary="Conversion and revenue by follow-up ordinal",
            description="Leads converted in the period by the number of follow-ups before the conversion (0–4, 5+); "
                        "the revenue of the period's visits of followed-up files by the number of follow-ups before "
                        "each visit (0–3, 4+: after the fourth), against seed 001 (80 % after the fourth); per "
                        "source and per account manager. " + PERIOD)
def get_ordinals_report(request, property: str = _property_query(),
                        from_: str = Query(None, alias="from", pattern=DAY, description="First day, YYYY-MM-DD."),
                        to: str = Query(None, pattern=DAY, description="Last day, YYYY-MM-DD.")):
    return _figures(request.auth, "ordinals", property, from_, to)


@router.get("/tracking/reports/sources", response={200: dict[str, Any], **ERRORS},
            summary="Lead sources against spend",
            description="Per source: spend (every month the period touches; null for a team-limited reader), "
                        "leads created, customers won, their revenue since conversion, cost per lead and per "
                        "customer, revenue ÷ spend. " + PERIOD)
def get_sources_report(request, property: str = _property_query(),
                       from_: str = Query(None, alias="from", pattern=DAY, description="First day, YYYY-MM-DD."),
                       to: str = Query(None, pattern=DAY, description="Last day, YYYY-MM-DD.")):
    return _figures(request.auth, "sources", property, from_, to)


@router.get("/tracking/reports/{report}/{table}.{fmt}", response={200: None, **ERRORS},
            summary="Export a tracking report table",
            description="; ".join(f"{r}: {', '.join(t)}" for r, t in reports.TABLE_NAMES.items())
                        + "; fmt: csv or xlsx.")
def export_tracking_report_table(request, report: str, table: str, fmt: str, property: str = _property_query(),
                                 from_: str = Query(None, alias="from", pattern=DAY),
                                 to: str = Query(None, pattern=DAY)):
    if report not in reports.REPORTS or table not in reports.TABLE_NAMES[report] or fmt not in export.FORMATS:
        raise Http404
    data = _figures(request.auth, report, property, from_, to)
    title, _section, columns = reports.tables(report)[table]
    return export.export_response(request.auth, fmt, f"tracking-{report}-{table}",
                                  reports.rows_of(data, report, table), columns,
                                  filters={"property": data["property"], "from": data["from"], "to": data["to"]},
                                  title=str(title)[:31])


# -- spend ------------------------------------------------------------------------------------

class SpendOut(Schema):
    source: str
    month: str = Field(description="YYYY-MM.")
    amount: Decimal
    note: str
    updated_by: int | None


class SpendListOut(Schema):
    property: str
    year: int | None
    items: list[SpendOut]


class SpendIn(In):
    amount: StrictStr | StrictInt | Decimal = Field(
        description="Yuan, ≥ 0, two decimals at most: a number, or a text such as \"1234.50\" or \"￥1,234.50\".")
    note: str = Field("", max_length=200)


def _out(row) -> dict:
    return {"source": row.source, "month": f"{row.month:%Y-%m}", "amount": row.amount, "note": row.note,
            "updated_by": row.updated_by_id}


@router.get("/tracking/spend", response={200: SpendListOut, **ERRORS}, summary="Marketing spend",
            description="Spend per lead source and month of a property, newest month first (whoever configures "
                        "the property).")
def list_source_spend(request, property: str = _property_query(),
                      year: int = Query(None, ge=2000, le=2100, description="Only this year's months.")):
    prop, _props = chosen_property(request.auth, property, CONFIGURE)
    rows = spend.spend_list(request.auth, prop, year)
    return {"property": prop.code, "year": year, "items": [_out(r) for r in rows]}


@router.put("/tracking/spend/{source}/{month}", response={200: SpendOut, **ERRORS}, summary="Set marketing spend",
            description="Sets (replaces) the spend on a lead source in a month (YYYY-MM).")
def set_source_spend(request, source: str, month: str, payload: SpendIn, property: str = _property_query()):
    prop, _props = chosen_property(request.auth, property, CONFIGURE)
    row = spend.set_spend(request.auth, prop, source, month, payload.amount, payload.note)
    return _out(row)
