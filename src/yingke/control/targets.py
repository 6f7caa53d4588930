"""Position targets (岗位CRM目标, R-6.3) and the daily development target (R-7.2).

Rules, in plain words:

1. A target belongs to one member of staff (an account or sales manager working at the
   property), one property and one period: a month (starting on its first day) or a week
   (starting on its Monday), in the property's local days. Six metrics, each optional:
   effective customers, A customers, visits, revenue from own customers, new customers
   developed, follow-ups done. Counts are whole numbers from 0 to 1,000,000; revenue is
   0 to 999,999,999,999.99 with at most two decimals. A period starts in 2000 or later and
   at most two years after today; a start that is not a period start is refused (the pages'
   period picker normalises any day to its period instead).
2. Whoever has TARGET on the member sets them (core.permissions: the general manager of a
   property they work at, or their own sales manager); every change is in the model's
   history with who made it. "Copy to the next period" copies the targets the actor may set
   into the following period of the same kind, never over a target already set there.
3. Reading: a member's targets and figures are read by whoever has CONTROL on them
   (themselves, their sales manager, the general manager) or TARGET.
4. Actuals of a member for a period (the member's own files = files they own now, so a
   file handed over takes its history with it):
     effective customers – own files graded A, B or C (Customer.grade) now, for a period
                           that has not ended; for a finished period, in the last grading
                           snapshot taken on or before its last day (none: not known);
     A customers         – the same with grade A;
     visits              – visits of own files in the period (local days; voided visits
                           count nowhere, refunds are not visits: reports.aggregates.SERVED);
     revenue             – the amount of those visits, refunds included (as the reports);
     new customers       – files of the property created by the member (created_by) in
                           the period (a converted lead opens its file: counted here);
     follow-ups done     – follow-ups (tracking.FollowUp) the member logged in the period.
   Visits and revenue are read from the visits directly, not from reports.CustomerMonthStat:
   those rows carry the owner when the month was aggregated and may be minutes stale, and
   weeks have no aggregate; one GROUP BY over the visit_prop_time range serves both kinds.
   Each figure is one query for all members of a page (set-based).
5. Roll-ups: a team is a sales manager and the account managers reporting to them; the
   property is every member of it. Targets and actuals are summed (a metric nobody has a
   target for stays empty). A reader sees the team roll-up of a team they may read whole,
   and the property's only when they read every member (the general manager).
6. Daily development target (R-7.2): StaffSetting.daily_target (default 1 new prospect a
   day), created lazily. `development_today(member, prop)` = (new prospects today: leads the
   member opened, and files they opened that did not come from a lead; the target).
"""

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.control.models import PositionTarget, StaffSetting
from yingke.core import permissions
from yingke.core.models import Property, User
from yingke.core.permissions import CONTROL, TARGET, NotVisible, can, is_system, pick_property, require
from yingke.core.roles import OWNER_ROLES, Role
from yingke.core.services import valid_id
from yingke.customers.models import Customer
from yingke.grading.models import GradeEntry, GradingRun
from yingke.reports.aggregates import SERVED
from yingke.visits.models import Visit

KINDS = {"month": gettext_lazy("Month"), "week": gettext_lazy("Week")}
METRICS = ["effective", "a_customers", "visits", "revenue", "new_customers", "follow_ups"]
METRIC_LABELS = {
    "effective": gettext_lazy("Effective customers"),
    "a_customers": gettext_lazy("A customers"),
    "visits": gettext_lazy("Visits"),
    "revenue": gettext_lazy("Revenue from own customers"),
    "new_customers": gettext_lazy("New customers developed"),
    "follow_ups": gettext_lazy("Follow-ups done"),
}
MONEY_METRICS = {"revenue"}
FOLLOW_UPS_TRACKED = True  # tracking.FollowUp, counted by follow_ups_done
UNTRACKED = {"follow_ups"} if not FOLLOW_UPS_TRACKED else set()
MAX_COUNT = 1_000_000
MAX_REVENUE = Decimal("999999999999.99")
CENT = Decimal("0.01")
EARLIEST = dt.date(2000, 1, 1)
AHEAD_DAYS = 2 * 366  # targets at most about two years ahead
EFFECTIVE_GRADES = ("A", "B", "C")


# ---- periods ----------------------------------------------------------------------------

@dataclass(frozen=True)
class TargetPeriod:
    kind: str  # "month" or "week"
    start: dt.date  # first of the month or the Monday

    @property
    def end(self) -> dt.date:
        """The last day of the period."""
        if self.kind == "week":
            return self.start + dt.timedelta(days=6)
        return self.start.replace(day=calendar.monthrange(self.start.year, self.start.month)[1])

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def next(self) -> "TargetPeriod":
        return TargetPeriod(self.kind, self.end + dt.timedelta(days=1))

    def previous(self) -> "TargetPeriod":
        return TargetPeriod(self.kind, period_start(self.kind, self.start - dt.timedelta(days=1)))

    @property
    def key(self) -> str:
        return self.start.isoformat()

    @property
    def label(self) -> str:
        if self.kind == "week":
            iso = self.start.isocalendar()
            return _("Week %(week)d of %(year)d (%(start)s – %(end)s)") % {
                "week": iso.week, "year": iso.year, "start": self.start.isoformat(), "end": self.end.isoformat()}
        return f"{self.start:%Y-%m}"

    def bounds(self, prop: Property) -> tuple[dt.datetime, dt.datetime]:
        """UTC instants of the period's first local midnight and of the one after it."""
        return prop.day_start(self.start), prop.day_start(self.end + dt.timedelta(days=1))

    def elapsed_days(self, today: dt.date) -> int:
        """Days of the period gone by on `today` (today counts as gone by)."""
        if today < self.start:
            return 0
        return min(self.days, (today - self.start).days + 1)

    def elapsed(self, today: dt.date) -> Decimal:
        """Time elapsed in % (one decimal): elapsed days ÷ days of the period."""
        return pct(self.elapsed_days(today), self.days)

    def finished(self, today: dt.date) -> bool:
        return self.end < today


def period_start(kind: str, day: dt.date) -> dt.date:
    """The first day of the `kind` period containing `day`."""
    if kind == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def _check_kind(kind) -> str:
    if kind not in KINDS:
        raise ValidationError({"kind": [_("Choose month or week.")]})
    return kind


def make_period(prop: Property, kind, start, *, normalise: bool = False) -> TargetPeriod:
    """The period of `kind` starting on `start` (a date or YYYY-MM-DD; YYYY-MM for a month).

    A day that does not start a period is moved to its period's start when `normalise`, else
    refused. Periods before 2000 or more than two years ahead are refused.
    """
    kind = _check_kind(kind)
    day = _date(start, kind)
    if day is None:
        raise ValidationError({"start": [_("Enter the period's first day as YYYY-MM-DD.")]})
    first = period_start(kind, day)
    if first != day and not normalise:
        raise ValidationError({"start": [
            _("A month starts on its first day.") if kind == "month" else _("A week starts on a Monday.")]})
    if first < EARLIEST or first > prop.local_today() + dt.timedelta(days=AHEAD_DAYS):
        raise ValidationError({"start": [_("Choose a period from 2000 up to two years ahead.")]})
    return TargetPeriod(kind, first)


def current_period(prop: Property, kind: str = "month") -> TargetPeriod:
    return TargetPeriod(_check_kind(kind), period_start(kind, prop.local_today()))


def _date(value, kind) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if not text.isascii():  # strptime would read full-width and other Unicode digits
        return None
    for fmt in ("%Y-%m-%d", "%Y-%m") if kind == "month" else ("%Y-%m-%d",):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


# ---- figures ------------------------------------------------------------------------------

def pct(part, whole) -> Decimal | None:
    """part ÷ whole in % with one decimal; None without a positive whole."""
    if part is None or whole is None or whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _count(value, field, errors):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        text = value.strip()
        value = int(text) if text.isascii() and text.isdigit() else None
    elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        errors[field] = [_("Enter a whole number from 0 to %(max)s.") % {"max": f"{MAX_COUNT:,}"}]
        return None
    return value


def _money(value, field, errors):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    amount = None
    if isinstance(value, str) and value.strip().isascii():
        try:
            amount = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            amount = None
    elif isinstance(value, Decimal | int) and not isinstance(value, bool):
        amount = Decimal(value)
    if amount is None or not amount.is_finite() or not 0 <= amount <= MAX_REVENUE or amount != amount.quantize(CENT):
        errors[field] = [_("Enter an amount from 0 to %(max)s with at most two decimals.")
                         % {"max": f"{MAX_REVENUE:,}"}]
        return None
    return amount.quantize(CENT)


def clean_values(data: dict) -> dict:
    """The six metrics of `data` validated (a missing or empty metric is no target)."""
    errors: dict[str, list[str]] = {}
    for field in set(data) - set(METRICS):
        errors[str(field)[:50]] = [_("This field cannot be changed.")]
    values = {m: (_money if m in MONEY_METRICS else _count)(data.get(m), m, errors) for m in METRICS}
    if errors:
        raise ValidationError(errors)
    return values


# ---- members ------------------------------------------------------------------------------

def staff_of(prop: Property):
    """Active account and sales managers working at `prop` (their properties prefetched, so
    that permission questions about them cost no query)."""
    return (User.objects.filter(properties=prop, is_active=True, role__in=OWNER_ROLES)
            .select_related("manager")
            .prefetch_related(Prefetch("properties", queryset=Property.objects.only("id"), to_attr="_props"))
            .order_by("display_name", "username", "id"))


def _with_properties(users):
    for u in users:
        u._property_ids = [p.id for p in u._props]
    return users


def reads(actor, member) -> bool:
    return can(actor, CONTROL, member) or can(actor, TARGET, member)


def properties_for(actor) -> list[Property]:
    """Properties whose targets `actor` reads: where they are a general, sales or account
    manager."""
    if is_system(actor):
        return list(Property.objects.order_by("code"))
    if not permissions.is_staff(actor) or actor.role not in OWNER_ROLES | {Role.GENERAL_MANAGER}:
        return []
    return permissions.my_properties(actor)


def property_for(actor, code: str | None) -> tuple[Property, list[Property]]:
    """The property asked for by code (404 when unknown or not the actor's), or the first;
    PermissionDenied when the actor reads no targets at all."""
    props = properties_for(actor)
    return pick_property(actor, props, code, _("Your role does not read position targets.")), props


def readable_members(actor, prop: Property) -> list[User]:
    """Members of `prop` whose targets and figures `actor` reads (CONTROL or TARGET)."""
    if prop not in properties_for(actor):
        raise PermissionDenied(_("Your role does not read position targets."))
    return [m for m in _with_properties(list(staff_of(prop))) if reads(actor, m)]


def member_for(actor, prop: Property, user_id, *, write: bool = False) -> User:
    """The member `user_id` of `prop`: NotVisible (404) unless `actor` reads them;
    PermissionDenied (403) when `write` and `actor` may not set their targets."""
    member = None
    if valid_id(user_id) and prop in properties_for(actor):
        member = next(iter(_with_properties(list(staff_of(prop).filter(pk=user_id)))), None)
    if member is None or not reads(actor, member):
        raise NotVisible
    if write:
        require(actor, TARGET, member)
    return member


# ---- writes ------------------------------------------------------------------------------

def set_targets(actor, prop: Property, member: User, kind, start, data: dict) -> PositionTarget:
    """Set (replace) `member`'s targets of the period (rule 1, 2); returns the row."""
    require(actor, TARGET, member)
    if prop.pk not in member.property_ids():
        raise NotVisible
    period = make_period(prop, kind, start)
    values = clean_values(data)
    with transaction.atomic():
        target = (PositionTarget.objects.select_for_update()
                  .filter(property=prop, user=member, kind=period.kind, start=period.start).first())
        if target is None:
            target = PositionTarget(property=prop, user=member, kind=period.kind, start=period.start)
        elif all(getattr(target, m) == values[m] for m in METRICS):
            return target  # nothing changed: no history row
        for m in METRICS:
            setattr(target, m, values[m])
        target.set_by = permissions.history_user(actor)
        target._history_user = permissions.history_user(actor)
        target.save()
    return target


def copy_into(actor, prop: Property, kind, start) -> dict:
    """"Copy from the previous period" (the page's button): `copy_to_next` of the period before
    the one starting `start`. ValidationError (nothing copied) when there is none (2000 is the
    first) or the period is out of range."""
    period = make_period(prop, kind, start)
    source = period.previous()
    if source.start < EARLIEST:
        raise ValidationError({"start": [_("%(period)s is the first period with targets: there is no earlier "
                                           "period to copy from.") % {"period": period.label}]})
    return copy_to_next(actor, prop, period.kind, source.start)


def copy_to_next(actor, prop: Property, kind, start) -> dict:
    """Copy the targets of the period starting `start` that `actor` may set into the next
    period, keeping any target already set there. Returns {"copied": n, "kept": n}."""
    period = make_period(prop, kind, start)
    nxt = make_period(prop, kind, period.next().start)
    members = [m for m in readable_members(actor, prop) if can(actor, TARGET, m)]
    if not members:
        raise PermissionDenied(_("Only their sales manager or the general manager sets this member of "
                                 "staff's targets."))
    ids = [m.pk for m in members]
    source = {t.user_id: t for t in PositionTarget.objects.filter(property=prop, kind=period.kind,
                                                                   start=period.start, user_id__in=ids)}
    copied = kept = 0
    with transaction.atomic():
        existing = set(PositionTarget.objects.select_for_update().filter(
            property=prop, kind=nxt.kind, start=nxt.start, user_id__in=ids).values_list("user_id", flat=True))
        for m in members:
            src = source.get(m.pk)
            if src is None:
                continue
            if m.pk in existing:
                kept += 1
                continue
            row = PositionTarget(property=prop, user=m, kind=nxt.kind, start=nxt.start,
                                 set_by=permissions.history_user(actor),
                                 **{f: getattr(src, f) for f in METRICS})
            row._history_user = permissions.history_user(actor)
            row.save()
            copied += 1
    return {"copied": copied, "kept": kept, "to": nxt}


# ---- actuals -------------------------------------------------------------------------------

def follow_ups_done(prop: Property, member_ids, period: TargetPeriod) -> dict[int, int]:
    """Follow-ups the members logged in the period (tracking.FollowUp by author, local days):
    one GROUP BY."""
    from yingke.tracking.models import FollowUp

    lo, hi = period.bounds(prop)
    rows = (FollowUp.objects.filter(property=prop, author_id__in=list(member_ids), occurred_at__gte=lo,
                                    occurred_at__lt=hi).order_by().values("author_id").annotate(n=Count("id")))
    return {r["author_id"]: r["n"] for r in rows}


def grade_counts(prop: Property, member_ids, period: TargetPeriod, today: dt.date) -> dict[int, dict] | None:
    """{member: {"effective": n, "a_customers": n}} at the end of `period` (rule 4): the
    current grades for a period not yet ended, else the last snapshot on or before its last
    day; None when there is no such snapshot."""
    eff, a = Q(grade__in=EFFECTIVE_GRADES), Q(grade="A")
    if not period.finished(today):
        rows = (Customer.objects.filter(property=prop, owner_id__in=member_ids).order_by()
                .values("owner_id").annotate(e=Count("id", filter=eff), a=Count("id", filter=a)))
        return {r["owner_id"]: {"effective": r["e"], "a_customers": r["a"]} for r in rows}
    run = snapshot_on_or_before(prop, period.end)
    if run is None:
        return None
    return snapshot_counts(run, member_ids)


def snapshot_on_or_before(prop: Property, day: dt.date):
    return (GradingRun.objects.filter(property=prop, as_of__lte=day, finished_at__isnull=False)
            .order_by("-as_of", "-id").only("id", "as_of").first())


def snapshot_counts(run, member_ids) -> dict[int, dict]:
    """Effective and A customers of a snapshot per current owner."""
    rows = (GradeEntry.objects.filter(run_id=run.pk, customer__owner_id__in=member_ids).order_by()
            .values("customer__owner_id")
            .annotate(e=Count("id", filter=Q(grade__in=EFFECTIVE_GRADES)), a=Count("id", filter=Q(grade="A"))))
    return {r["customer__owner_id"]: {"effective": r["e"], "a_customers": r["a"]} for r in rows}


def visit_figures(prop: Property, member_ids, period: TargetPeriod) -> dict[int, dict]:
    """{member: {"visits": n, "revenue": Decimal}} of their own files in the period."""
    lo, hi = period.bounds(prop)
    rows = (Visit.objects.filter(property=prop, voided_at__isnull=True, occurred_at__gte=lo, occurred_at__lt=hi,
                                 customer__owner_id__in=member_ids).order_by()
            .values("customer__owner_id")
            .annotate(v=Count("id", filter=SERVED), r=Sum("amount")))
    return {r["customer__owner_id"]: {"visits": r["v"], "revenue": (r["r"] or Decimal(0)).quantize(CENT)}
            for r in rows}


def new_customers(prop: Property, member_ids, period: TargetPeriod) -> dict[int, int]:
    lo, hi = period.bounds(prop)
    rows = (Customer.objects.filter(property=prop, created_by_id__in=member_ids, created_at__gte=lo,
                                    created_at__lt=hi).order_by()
            .values("created_by_id").annotate(n=Count("id")))
    return {r["created_by_id"]: r["n"] for r in rows}


def actuals(prop: Property, member_ids, period: TargetPeriod, today: dt.date | None = None) -> dict[int, dict]:
    """{member: {metric: actual}} (rule 4); a metric not known is None. Four queries."""
    today = today or prop.local_today()
    ids = list(member_ids)
    grades = grade_counts(prop, ids, period, today)
    visits = visit_figures(prop, ids, period)
    new = new_customers(prop, ids, period)
    follow = follow_ups_done(prop, ids, period)
    out = {}
    for pk in ids:
        g = (grades or {}).get(pk, {"effective": 0, "a_customers": 0}) if grades is not None else \
            {"effective": None, "a_customers": None}
        v = visits.get(pk, {"visits": 0, "revenue": Decimal("0.00")})
        out[pk] = {"effective": g["effective"], "a_customers": g["a_customers"], "visits": v["visits"],
                   "revenue": v["revenue"], "new_customers": new.get(pk, 0),
                   "follow_ups": follow.get(pk, 0) if FOLLOW_UPS_TRACKED else None}
    return out


# ---- the table of a period ---------------------------------------------------------------

def _sum(values):
    values = [v for v in values if v is not None]
    return sum(values[1:], values[0]) if values else None


def line(label: str, targets: dict, actual: dict, *, member=None, kind: str = "member") -> dict:
    """One row: targets, actuals and achieved % per metric."""
    achieved = {m: (None if m in UNTRACKED else pct(actual.get(m), targets.get(m))) for m in METRICS}
    return {"label": label, "member": member, "kind": kind, "target": targets, "actual": actual,
            "achieved": achieved}


def rollup(label: str, lines: list[dict], kind: str) -> dict:
    targets = {m: _sum([x["target"][m] for x in lines]) for m in METRICS}
    actual = {m: _sum([x["actual"][m] for x in lines]) for m in METRICS}
    return line(label, targets, actual, kind=kind)


def member_name(user) -> str:
    return user.display_name or user.username


def target_table(actor, prop: Property, period: TargetPeriod, today: dt.date | None = None) -> dict:
    """The targets page's figures: a line per readable member, the team roll-ups the actor
    reads whole, the property's when they read every member (rule 5). Few queries in all."""
    today = today or prop.local_today()
    everyone = _with_properties(list(staff_of(prop)))
    members = [m for m in everyone if reads(actor, m)]
    ids = [m.pk for m in members]
    targets = {t.user_id: t for t in PositionTarget.objects.filter(property=prop, kind=period.kind,
                                                                   start=period.start, user_id__in=ids)}
    figures = actuals(prop, ids, period, today)
    lines = []
    for m in members:
        t = targets.get(m.pk)
        row = line(member_name(m), {f: getattr(t, f) if t else None for f in METRICS}, figures[m.pk], member=m)
        row["may_set"] = can(actor, TARGET, m)
        row["set_by"], row["updated_at"] = (t.set_by_id, t.updated_at) if t else (None, None)
        lines.append(row)
    by_id = {x["member"].pk: x for x in lines}
    teams = []
    for m in everyone:
        if m.role != Role.SALES_MANAGER:
            continue
        team = [x for x in everyone if x.pk == m.pk or x.manager_id == m.pk]
        if all(x.pk in by_id for x in team):
            row = rollup(_("Team of %(name)s") % {"name": member_name(m)}, [by_id[x.pk] for x in team], "team")
            row["manager"] = m
            teams.append(row)
    total = rollup(prop.name, lines, "property") if len(members) == len(everyone) and lines else None
    return {"property": prop, "period": period, "lines": lines, "teams": teams, "total": total,
            "elapsed": period.elapsed(today), "today": today,
            "may_set_any": any(x["may_set"] for x in lines)}


# ---- daily development target (R-7.2) ----------------------------------------------------------

def staff_setting(member: User, prop: Property) -> StaffSetting:
    """The member's control settings at `prop`, created with the defaults when missing."""
    setting, _created = StaffSetting.objects.get_or_create(property=prop, user=member)
    return setting


def developed_on(member: User, prop: Property, day: dt.date) -> int:
    """New prospects the member brought in on `day` (local day, R-7.2): leads they opened, and files
    they opened that did not come from a lead (converting a lead is not a new prospect)."""
    from yingke.tracking.models import Lead

    lo, hi = prop.day_start(day), prop.day_start(day + dt.timedelta(days=1))
    files = (Customer.objects.filter(property=prop, created_by=member, created_at__gte=lo, created_at__lt=hi)
             .exclude(leads__isnull=False).count())
    return files + Lead.objects.filter(property=prop, created_by=member, created_at__gte=lo, created_at__lt=hi).count()


def development_today(member: User, prop: Property) -> tuple[int, int]:
    """(new prospects the member brought in today in `prop` (developed_on), their daily target)."""
    return developed_on(member, prop, prop.local_today()), staff_setting(member, prop).daily_target
