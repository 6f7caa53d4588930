"""API: the daily control table (R-6.4), the same figures as /control/today/ and /control/team/.

GET /api/control-table?member=&property=&day=   a member's table (default: the caller's own, in
    their first property, on the property's local today): every section with its rows (at most
    `limit`) and its full count, and the development target of the day (R-7.2).
GET /api/control-table/team?property=&day=      a sales manager's team (a general manager: every
    account and sales manager of the property): one line of section counts per member.

Thin adapters over control.table (which asks core.permissions): a member whose table the caller
may not read and an unknown member alike 404 (no staff-id oracle), the caller's own table when
their role keeps none 403, an unknown property 404, a day that is not a date or out of range
422. A section nothing tracks yet (follow-ups, commitments, complaints until their issues add
them) has `tracked: false`, a count of 0 and no rows.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from yingke.api.errors import ErrorOut, field_error
from yingke.control import table as service
from yingke.core.models import Property, User
from yingke.core.permissions import CONTROL, NotVisible, can, pick_property, require
from yingke.core.roles import Role
from yingke.core.services import MAX_ID

router = Router(tags=["control"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
CODE = r"^[A-Za-z0-9_-]{1,20}$"
EARLIEST = dt.date(2000, 1, 1)
MAX_ROWS = 5_000
DAY = Query(None, description="YYYY-MM-DD; default: the property's local today.")


class RowOut(Schema):
    kind: str = Field(description="customer, or lead: `id` is then the lead's (/api/tracking/leads/{id}).")
    id: int = Field(description="Customer id (a lead's id when `kind` is lead).")
    code: str = Field(description="Customer code.")
    name: str
    mobile: str = Field(description="As the caller may see it (R-12.1).")
    grade: str = Field(description="A, B, C, D or empty (not graded yet).")
    module: str = Field(description="Customer module name, or empty.")
    last_visit: dt.date | None = Field(description="Local date of the last visit.")
    reason: str = Field(description="Why the customer is listed.")
    date: dt.date | None = Field(description="The date the row is about: the expected visit, the end of the "
                                             "usual cycle, the special date.")


class SectionOut(Schema):
    key: str = Field(description="follow_ups, commitments, complaints, overdue, unseen, dates.")
    title: str
    tracked: bool = Field(description="False: nothing records these yet (count 0, no rows).")
    count: int = Field(description="Every customer in the section (the rows may be fewer: `limit`).")
    rows: list[RowOut]
    link: str = Field(description="The full filtered customer list (web), or empty.")


class DevelopmentOut(Schema):
    done: int = Field(description="Files the member brought in on the day.")
    target: int = Field(description="Their daily development target (R-7.2).")
    met: bool


class TableMemberOut(Schema):
    id: int
    username: str
    name: str
    role: str


class TableOut(Schema):
    member: TableMemberOut
    property: str = Field(description="Property code.")
    day: dt.date
    sections: list[SectionOut]
    development: DevelopmentOut
    total: int = Field(description="Customers listed in all sections (a customer may be in two).")


class TeamLineOut(Schema):
    member: TableMemberOut
    counts: dict[str, int | None] = Field(description="Per section key; null for a section not tracked yet.")
    total: int
    development: DevelopmentOut


class TeamOut(Schema):
    property: str
    day: dt.date
    members: list[TeamLineOut]


def _member_out(m) -> dict:
    return {"id": m.pk, "username": m.username, "name": m.label, "role": m.role}


def _day(prop, day: dt.date | None) -> dt.date | None:
    if day is None:
        return None
    if not EARLIEST <= day <= prop.local_today() + dt.timedelta(days=366):
        raise field_error("day", _("Choose a day from 2000 up to a year ahead."))
    return day


def _property(user, member, code: str | None) -> Property:
    return pick_property(user, service.table_properties(user, member), code,
                         _("This member of staff's control table is not kept in any of your properties."))


@router.get("/control-table", response={200: TableOut, **ERRORS}, summary="A member's daily control table",
            description="Every section of the daily control table (R-6.4) with its rows and full count, and the "
                        "development target of the day (R-7.2). Default: the caller's own table, in their first "
                        "property, on the property's local today.")
def control_table(request, member: int = Query(None, ge=1, le=MAX_ID, description="Member of staff id; "
                                                                                     "default: the caller."),
                  property: str = Query(None, pattern=CODE, description="Property code; default: the first."),
                  day: dt.date = DAY,
                  limit: int = Query(service.CAP, ge=1, le=MAX_ROWS, description="Rows per section.")):
    user = request.auth
    target = user if member is None else User.objects.filter(pk=member).first()
    if target is None:
        raise Http404
    if target.pk != user.pk and not can(user, CONTROL, target):
        raise NotVisible  # like an unknown id: staff ids cannot be probed
    require(user, CONTROL, target)
    prop = _property(user, target, property)
    table = service.control_table(user, target, prop, _day(prop, day), cap=limit)
    return {"member": _member_out(target), "property": prop.code, "day": table["day"],
            "sections": [{"key": p.key, "title": p.title, "tracked": p.tracked, "count": p.count,
                          "rows": [r.__dict__ for r in p.rows], "link": p.link}
                         for p in table["sections"]],
            "development": table["development"], "total": table["total"]}


@router.get("/control-table/team", response={200: TeamOut, **ERRORS}, summary="The team's control tables",
            description="One line per member of the caller's team (a general manager: every account and sales "
                        "manager of the property) with each section's count and the development target.")
def control_table_team(request, property: str = Query(None, pattern=CODE, description="Property code; default: "
                                                                                        "the first."),
                       day: dt.date = DAY):
    user = request.auth
    if user.role not in (Role.SALES_MANAGER, Role.GENERAL_MANAGER):
        raise PermissionDenied(_("Only a sales manager or the general manager sees a team's control tables."))
    prop = _property(user, user, property)
    data = service.team_table(user, prop, _day(prop, day))
    return {"property": prop.code, "day": data["day"],
            "members": [{"member": _member_out(line["member"]), "counts": line["counts"], "total": line["total"],
                         "development": line["development"]} for line in data["members"]]}
