"""The tables behind the dashboard's charts: one declaration per table, used by the page,
the exports (core.export.export_response) and the API's exports."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from yingke.core.export import Column


def pct(value) -> Decimal | None:
    """A share (0.4531) as a percentage with one decimal (45.3)."""
    return None if value is None else Decimal(str(round(value * 100, 1)))


def _get(key):
    return lambda row, user: row.get(key)


def _pct(key):
    return lambda row, user: pct(row.get(key))


# name → (title, section of the dashboard data, columns, available to a team-limited reader)
TABLES = {
    "effective": (_("Effective customers and their share of revenue"), "effective", [
        Column(_("Snapshot as of"), _get("as_of")),
        Column(_("Window (days)"), _get("window_days")),
        Column(_("Effective customers"), _get("customers")),
        Column(_("Their revenue in the window"), _get("revenue")),
        Column(_("Revenue of the property in the window"), _get("window_revenue")),
        Column(_("Share of revenue (%)"), _pct("share")),
    ], True),
    "occupancy": (_("Occupancy per outlet and meal period"), "occupancy", [
        Column(_("Outlet"), _get("outlet")),
        Column(_("Meal period"), _get("period_name")),
        Column(_("Tables served or room nights"), _get("served")),
        Column(_("Tables or rooms"), _get("capacity")),
        Column(_("Days"), _get("days")),
        Column(_("Available"), _get("available")),
        Column(_("Occupancy (%)"), _pct("occupancy")),
    ], False),
    "managed": (_("Managed customers and walk-ins"), "managed", [
        Column(_("Measure"), _get("label")),
        Column(_("Managed customers"), _get("managed")),
        Column(_("Walk-ins and unmanaged files"), _get("walk_in")),
        Column(_("Total"), _get("total")),
        Column(_("Managed share (%)"), _pct("managed_share")),
    ], False),
    "grades": (_("Grades over the snapshots"), "grades", [
        Column(_("Snapshot as of"), _get("as_of")),
        Column("A", _get("A")), Column("B", _get("B")), Column("C", _get("C")), Column("D", _get("D")),
        Column(_("Effective customers"), _get("effective")),
        Column(_("A share (%)"), _pct("a_share")),
    ], True),
    "migration": (_("Grade migration between two snapshots"), "migration", [
        Column(_("From grade"), lambda row, user: str(_("new")) if row["from"] == "new" else row["from"]),
        Column("→ A", _get("A")), Column("→ B", _get("B")), Column("→ C", _get("C")), Column("→ D", _get("D")),
        Column(_("Total"), _get("total")),
    ], True),
    "monthly": (_("Monthly revenue"), "monthly", [
        Column(_("Month"), _get("month")),
        Column(_("Tables"), _get("visits")),
        Column(_("Covers"), _get("covers")),
        Column(_("Revenue"), _get("revenue")),
    ], True),
    "pareto": (_("Pareto of revenue by customer"), "pareto", [
        Column(_("Top customers (%)"), _get("customers_pct")),
        Column(_("Customers"), _get("customers")),
        Column(_("Their revenue"), _get("revenue")),
        Column(_("Share of revenue (%)"), _pct("revenue_share")),
    ], True),
}


def rows_of(data: dict, name: str) -> list[dict] | None:
    """The rows of table `name` in the dashboard data, or None when the reader may not see it."""
    section = data.get(TABLES[name][1])
    return None if section is None else section.get("rows", [])  # [] while a panel is pending
