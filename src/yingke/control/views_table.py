"""Pages of the daily control table (R-6.4): thin views over control.table.

  /control/today/              the actor's own table (an account manager's home page);
                               ?member=<id>&property=CODE for a sales manager or the general
                               manager to read a member's (CONTROL, core.permissions)
  /control/today/export.<fmt>  the same table as CSV or XLSX (core.export.export_response):
                               one row per listed customer with its section
  /control/team/               a sales manager's team (a general manager: every account and
                               sales manager of the property), one line of counts per member
  /control/team/print/         every member's table, one A4 page each (print stylesheet)

A member id that is not a number, no member of staff, or someone whose table the actor may not
read is 404 (one answer, so staff ids cannot be probed); one's own table when the role keeps
none is 403 (core.permissions CONTROL); an unknown property code is 404.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from yingke.control import table as service
from yingke.core.export import Column, export_response
from yingke.core.models import Property, User
from yingke.core.permissions import CONTROL, NotVisible, can, my_properties, pick_property, require
from yingke.core.roles import Role

PRINT_ROWS = 12  # rows per section on paper: one A4 page per person
EXPORT_ROWS = 5_000  # rows per section in the export


def readable_member(actor, member):
    """CONTROL on `member`: someone else whose table the actor may not read is NotVisible (404)
    like an unknown id, so that ids of other staff cannot be probed; one's own table, when the
    role keeps none, is PermissionDenied (403)."""
    if member.pk != actor.pk and not can(actor, CONTROL, member):
        raise NotVisible
    require(actor, CONTROL, member)
    return member


def _member(request):
    raw = (request.GET.get("member") or "").strip()
    if not raw:
        return request.user
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise Http404
    member = User.objects.filter(pk=int(raw)).first()
    if member is None:
        raise Http404
    return member


def _chosen(request, props: list[Property]) -> Property:
    return pick_property(request.user, props, request.GET.get("property"),
                         _("This member of staff's control table is not kept in any of your properties."))


def _resolve(request):
    """(member, property, properties) of the table asked for; CONTROL checked first."""
    member = _member(request)
    readable_member(request.user, member)
    props = service.table_properties(request.user, member)
    return member, _chosen(request, props), props


def _query(member, prop, actor) -> str:
    from urllib.parse import urlencode

    params = {"property": prop.code}
    if member.pk != actor.pk:
        params["member"] = member.pk
    return urlencode(params)


@login_required
@require_GET
def today(request):
    """The control table of the day. A general manager, who owns no files, goes to the team view."""
    user = request.user
    if not request.GET.get("member") and getattr(user, "role", None) == Role.GENERAL_MANAGER:
        return redirect("control:team")
    member, prop, props = _resolve(request)
    table = service.control_table(user, member, prop)
    context = {
        "table": table, "member": member, "prop": prop, "props": props, "own": member.pk == user.pk,
        "qs": _query(member, prop, user), "print_rows": PRINT_ROWS,
        "leads": user.role in (Role.SALES_MANAGER, Role.GENERAL_MANAGER),
        "title": _("Control table") if member.pk == user.pk else
        _("Control table of %(name)s") % {"name": member.label},
    }
    return render(request, "control/today.html", context)


def _value(attr):
    return lambda item, user: getattr(item[1], attr)


EXPORT_COLUMNS = [
    Column(gettext_lazy("Section"), lambda item, user: item[0].title),
    Column(gettext_lazy("Customer code"), _value("code")),
    Column(gettext_lazy("Name"), _value("name")),
    Column(gettext_lazy("Mobile"), _value("mobile")),  # already as the exporting user may see it
    Column(gettext_lazy("Grade"), _value("grade")),
    Column(gettext_lazy("Customer module"), _value("module")),
    Column(gettext_lazy("Last visit"), _value("last_visit")),
    Column(gettext_lazy("Date"), _value("date")),
    Column(gettext_lazy("Why listed"), _value("reason")),
    Column(gettext_lazy("Customer id"), _value("id")),
]


@login_required
@require_GET
def today_export(request, fmt):
    """The table as CSV or XLSX (every listed customer, up to EXPORT_ROWS per section)."""
    member, prop, _props = _resolve(request)
    table = service.control_table(request.user, member, prop, cap=EXPORT_ROWS)
    name = f"control-{member.username}-{table['day']:%Y%m%d}"
    return export_response(request.user, fmt, name, list(service.table_rows(table)), EXPORT_COLUMNS,
                           filters={"member": member.pk, "property": prop.code, "day": table["day"].isoformat()},
                           title=_("Control table"))


def _team_property(request) -> tuple[Property, list[Property]]:
    user = request.user
    if getattr(user, "role", None) not in (Role.SALES_MANAGER, Role.GENERAL_MANAGER):
        raise PermissionDenied(_("Only a sales manager or the general manager sees a team's control tables."))
    props = my_properties(user)
    return _chosen(request, props), props


@login_required
@require_GET
def team(request):
    """One line per member: each section's count, the development target, links to each table."""
    prop, props = _team_property(request)
    data = service.team_table(request.user, prop)
    sections = [(s.key, str(s.title)) for s in service.SECTIONS]
    lines = [{**line, "cells": [line["counts"][k] for k, _t in sections]} for line in data["members"]]
    return render(request, "control/team.html", {
        "team": data, "lines": lines, "sections": sections, "prop": prop, "props": props,
        "title": _("Control tables of the team")})


@login_required
@require_GET
def team_print(request):
    """Every member's table, one A4 page each (PRINT_ROWS rows per section, the rest counted)."""
    prop, _props = _team_property(request)
    members = service.team_members(request.user, prop)
    tables = [service.control_table(request.user, m, prop, cap=PRINT_ROWS) for m in members]
    return render(request, "control/team_print.html", {
        "tables": tables, "prop": prop, "print_rows": PRINT_ROWS, "title": _("Control tables of the team")})
