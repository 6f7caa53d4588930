"""The daily control table (日常客户管控表, R-6.4): one per account manager per day.

`control_table(actor, member, prop, day=None)` answers, for `member`'s files in `prop` on
`day` (the property's local today by default), every section of R-6.4 in this order:

  follow_ups   follow-ups due and overdue             (hook: filled by the tracking issue)
  commitments  commitments due (R-7.4)                (hook: filled by the tracking issue)
  complaints   open complaints on their customers     (hook: filled by the complaints issue)
  overdue      customers past their expected next visit (R-7.5): files owned by the member
               whose `expected_next_visit` is before `day`, not yet acted on — a note recorded
               on the file on or after the expected date (local), or a visit on or after it
               (the pattern may not have been recomputed yet), takes the file off the list
  unseen       A/B customers unseen longer than their usual cycle: graded A or B, whose days
               since the last visit (local dates) exceed `usual_interval`, not listed in
               `overdue` (a file whose expected date is before `day` belongs there) and not
               acted on since the cycle ran out. While control.pattern keeps
               expected_next_visit = last visit + usual interval, this section holds the
               files whose expected date is missing or stale
  dates        special dates in the next 7 days (R-2.5): the due care reminders (the rule of
               customers.reminders.due_reminders, lunar dates included) falling within
               `DATES_WINDOW` days; every due care reminder, later dates included, stays on
               the care-reminder page (the home page's pages, linked from the section)
and the development target of the day (R-7.2): (done, target) from
control.targets.development_today.

Each section is a `Part`: at most `CAP` rows (customer id, code, name, mobile as the actor may
see it, grade, module, last visit, the reason it is listed), the full `count`, and a link to
the full filtered customer list when there is one. Every section is a few indexed queries
over the member's files (index (owner, expected_next_visit) for `overdue`); nothing is read
per customer.

Who may read whose table: `core.permissions.require(actor, CONTROL, member)` (themselves,
their sales manager, the general manager of a property they work at); `prop` must be a
property the member works at and, unless the actor reads their own table, one the actor
works at too. `team_table(actor, prop)` gives a sales manager's team (a general manager: every
account and sales manager of the property), one line of section counts per member, each
section counted for the whole team at once.

Hooks. The sections the tracking and complaints issues fill are in `SECTIONS` with no
provider yet: they render "… not tracked yet" (Part.tracked False). Those issues call
`register(key, rows=…, counts=…, link=…)` from their AppConfig.ready():
  rows(ctx) -> (list[Row], count)     ctx: Ctx (actor, member, prop, day, zone)
  counts(actor, member_ids, prop, day) -> {member_id: count}   for the team view
  link(ctx) -> str                    the full list (optional)
"""

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, Value, Window
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from yingke.core.permissions import CONTROL, is_staff, require
from yingke.core.roles import OWNER_ROLES, Role
from yingke.customers.lunar import describe, specs_falling_on
from yingke.customers.masking import shown_mobile
from yingke.customers.models import Customer, Note, SpecialDate
from yingke.customers.reminders import occurrence

CAP = 30  # rows shown per section; the rest are counted and reached through the link
DATES_WINDOW = 7  # special dates in the next 7 days
AB = ["A", "B"]
ROW_FIELDS = ["pk", "customer_code", "name", "mobile", "grade", "module__name", "last_visit_at",
              "expected_next_visit", "usual_interval", "owner_id"]


@dataclasses.dataclass(frozen=True)
class Ctx:
    actor: object
    member: object
    prop: object
    day: dt.date
    cap: int = CAP  # rows listed per section

    @property
    def zone(self):
        return self.prop.zone


@dataclasses.dataclass(frozen=True)
class Row:
    id: int
    code: str
    name: str
    mobile: str  # as the actor may see it (customers.masking)
    grade: str
    module: str
    last_visit: dt.date | None  # local date
    reason: str
    date: dt.date | None = None  # the date the row is about (expected visit, special date …)
    url: str = ""  # where the name links to, when not the guest file (a lead's page)
    kind: str = "customer"  # or "lead": `id` is then a lead's id


@dataclasses.dataclass
class Part:
    key: str
    title: str
    rows: list[Row]
    count: int
    tracked: bool = True  # False: nothing records these yet (a hook not filled)
    empty: str = ""  # the message when nothing is listed
    link: str = ""  # the full filtered list

    @property
    def capped(self) -> bool:
        return self.count > len(self.rows)


@dataclasses.dataclass(frozen=True)
class Section:
    key: str
    title: object  # lazy text
    empty: object  # nothing listed today
    untracked: object = ""  # no provider registered yet
    rows: Callable | None = None  # (ctx) -> (rows, count)
    counts: Callable | None = None  # (actor, member_ids, prop, day) -> {member_id: count}
    link: Callable | None = None  # (ctx) -> str


def _local_date(prop, when):
    return prop.local_day(when) if when is not None else None


def _row(ctx: Ctx, values: dict, reason: str, date=None) -> Row:
    return Row(id=values["pk"], code=values["customer_code"], name=values["name"],
               mobile=shown_mobile(ctx.actor, values["mobile"]), grade=values["grade"] or "",
               module=values["module__name"] or "", last_visit=_local_date(ctx.prop, values["last_visit_at"]),
               reason=reason, date=date)


def _files(actor, prop, owner_ids):
    """The files owned by `owner_ids` in `prop`. No row-rule filter: CONTROL on a member (checked
    by every entry point) implies seeing their files — themselves, their sales manager (the team's
    files), the general manager (the property's); its OR would only cost the (owner, …) indexes."""
    return Customer.objects.filter(property=prop, owner_id__in=owner_ids)


def _customer_list(ctx: Ctx, **params) -> str:
    return reverse("customers:list") + "?" + urlencode({"property": ctx.prop.code, "owner": ctx.member.pk,
                                                       **params}, doseq=True)


# ---- overdue: past the expected next visit (R-7.5) --------------------------------------------

def _overdue(actor, prop, day, owner_ids):
    """Files past their expected next visit and not acted on since (see the module text)."""
    zone = prop.zone
    acted = (Note.objects.filter(customer=OuterRef("pk"))
             .annotate(on=TruncDate("created_at", tzinfo=zone))
             .filter(on__gte=OuterRef("expected_next_visit"), on__lte=day))
    return (_files(actor, prop, owner_ids)
            .filter(expected_next_visit__lt=day)
            .annotate(seen_on=TruncDate("last_visit_at", tzinfo=zone))
            .filter(Q(seen_on__isnull=True) | Q(seen_on__lt=F("expected_next_visit")))
            .exclude(Exists(acted)))


def overdue_rows(ctx: Ctx):
    """One query: the first `cap` rows, each carrying the full count (COUNT(*) OVER ())."""
    rows = (_overdue(ctx.actor, ctx.prop, ctx.day, [ctx.member.pk])
            .annotate(total=Window(Count("pk")))
            .order_by("expected_next_visit", "name_pinyin", "pk").values(*ROW_FIELDS, "total")[:ctx.cap])
    rows = list(rows)
    count = rows[0]["total"] if rows else 0
    listed = []
    for v in rows:
        late = (ctx.day - v["expected_next_visit"]).days
        reason = ngettext("Expected on %(date)s, %(n)d day ago", "Expected on %(date)s, %(n)d days ago", late) % {
            "date": v["expected_next_visit"].isoformat(), "n": late}
        if v["usual_interval"]:
            reason += "; " + ngettext("usually every %(n)d day", "usually every %(n)d days",
                                      v["usual_interval"]) % {"n": v["usual_interval"]}
        listed.append(_row(ctx, v, reason, v["expected_next_visit"]))
    return listed, count


def overdue_counts(actor, owner_ids, prop, day) -> dict:
    rows = _overdue(actor, prop, day, owner_ids).values("owner_id").annotate(n=Count("pk")).order_by()
    return {r["owner_id"]: r["n"] for r in rows}


# ---- unseen: A/B customers past their usual cycle ----------------------------------------------

def _unseen(actor, prop, day, owner_ids) -> list[tuple[dict, dt.date]]:
    """(pk, owner_id, last_visit_at, usual_interval; the day the cycle ran out) of the A/B files
    unseen longer than their usual interval, not in `overdue` and not acted on since; longest
    overdue first. Two queries: the candidates (the owners' A/B files with a usual interval, a
    last visit and no expected date before `day`; four columns each) and the notes recorded on
    the late ones since their cycle ran out."""
    candidates = (_files(actor, prop, owner_ids)
                  .filter(grade__in=AB, usual_interval__isnull=False, last_visit_at__lt=prop.day_start(day))
                  .filter(Q(expected_next_visit__isnull=True) | Q(expected_next_visit__gte=day)))
    if connection.vendor == "postgresql":
        # last visit + interval before `day`, with a day's margin (local days and daylight saving
        # are decided exactly below): the database returns only the files that may be late.
        # SQLite cannot multiply a duration; there every candidate is checked below.
        cycle = ExpressionWrapper(F("usual_interval") * Value(dt.timedelta(days=1)), output_field=DurationField())
        candidates = candidates.alias(cycle_end=F("last_visit_at") + cycle).filter(
            cycle_end__lt=prop.day_start(day) + dt.timedelta(days=1))
    candidates = candidates.values_list("pk", "owner_id", "last_visit_at", "usual_interval")
    late = []
    for pk, owner_id, last, interval in candidates:
        due = prop.local_day(last) + dt.timedelta(days=interval)
        if due < day:
            late.append(({"pk": pk, "owner_id": owner_id}, due))
    if late:
        since = prop.day_start(min(due for _v, due in late))
        until = prop.day_start(day + dt.timedelta(days=1))
        noted = defaultdict(list)
        for cid, at in Note.objects.filter(customer_id__in=[v["pk"] for v, _d in late], created_at__gte=since,
                                           created_at__lt=until).values_list("customer_id", "created_at"):
            noted[cid].append(prop.local_day(at))
        late = [(v, due) for v, due in late if not any(on >= due for on in noted[v["pk"]])]
    late.sort(key=lambda item: (item[1], item[0]["pk"]))
    return late


def unseen_rows(ctx: Ctx):
    late = _unseen(ctx.actor, ctx.prop, ctx.day, [ctx.member.pk])
    shown = late[:ctx.cap]
    values = {v["pk"]: v for v in Customer.objects.filter(pk__in=[v["pk"] for v, _d in shown]).values(*ROW_FIELDS)}
    listed = []
    for v, due in shown:
        v = values[v["pk"]]
        days = (ctx.day - ctx.prop.local_day(v["last_visit_at"])).days
        reason = ngettext("Grade %(grade)s: last visit %(n)d day ago", "Grade %(grade)s: last visit %(n)d days ago",
                          days) % {"grade": v["grade"], "n": days}
        reason += "; " + ngettext("usually every %(n)d day", "usually every %(n)d days",
                                  v["usual_interval"]) % {"n": v["usual_interval"]}
        listed.append(_row(ctx, v, reason, due))
    return listed, len(late)


def unseen_counts(actor, owner_ids, prop, day) -> dict:
    counts = defaultdict(int)
    for v, _due in _unseen(actor, prop, day, owner_ids):
        counts[v["owner_id"]] += 1
    return dict(counts)


# ---- dates: special dates in the next 7 days (R-2.5) -------------------------------------------

def _soon_dates(actor, prop, day, owner_ids):
    """The owners' special dates falling in the next DATES_WINDOW days whose care reminder is
    due: the rule of customers.reminders.due_reminders limited to the window — for each day d,
    the dates falling on day + d (lunar.specs_falling_on, lunar dates included) with a lead time
    (remind_days) of at least d. due_reminders itself builds its condition and its ordering CASE
    for up to 60 days ahead: three times the SQL to compile per query, too slow for the table."""
    falls = Q(pk__in=[])
    for d in range(DATES_WINDOW + 1):
        falls |= specs_falling_on(day + dt.timedelta(days=d)) & Q(remind_days__gte=d)
    return SpecialDate.objects.filter(customer__property=prop, customer__owner_id__in=owner_ids).filter(falls)


def dates_part(ctx: Ctx) -> tuple[list[Row], int]:
    """One query: every due date of the window (a few per hundred files), in date order then
    name, each dated by customers.reminders.occurrence."""
    specs = _soon_dates(ctx.actor, ctx.prop, ctx.day, [ctx.member.pk]).select_related("customer__module")
    due = sorted((occurrence(spec, ctx.day) for spec in specs),
                 key=lambda o: (o.days, o.spec.customer.name_pinyin, o.spec.pk))
    listed = []
    for o in due[:ctx.cap]:
        c, spec = o.spec.customer, o.spec
        what = spec.label or spec.get_kind_display()
        if o.days == 0:
            when = _("today")
        elif o.days == 1:
            when = _("tomorrow")
        else:
            when = ngettext("in %(n)d day", "in %(n)d days", o.days) % {"n": o.days}
        reason = f"{what} {describe(spec)} ({when})"
        values = {"pk": c.pk, "customer_code": c.customer_code, "name": c.name, "mobile": c.mobile,
                  "grade": c.grade, "module__name": c.module.name if c.module_id else "",
                  "last_visit_at": c.last_visit_at}
        listed.append(_row(ctx, values, reason, o.date))
    return listed, len(due)


def dates_counts(actor, owner_ids, prop, day) -> dict:
    rows = (_soon_dates(actor, prop, day, owner_ids)
            .values("customer__owner_id").annotate(n=Count("pk")).order_by())
    return {r["customer__owner_id"]: r["n"] for r in rows}


# ---- the sections ------------------------------------------------------------------------------

SECTIONS: list[Section] = [
    Section("follow_ups", gettext_lazy("Follow-ups due and overdue"), gettext_lazy("No follow-ups due today."),
            gettext_lazy("No follow-ups are tracked yet: they will be listed here once follow-ups are recorded.")),
    Section("commitments", gettext_lazy("Commitments due"), gettext_lazy("No commitments due today."),
            gettext_lazy("No commitments are tracked yet: promises to customers will be listed here once they are "
                  "recorded.")),
    Section("complaints", gettext_lazy("Open complaints"), gettext_lazy("No open complaints on your customers."),
            gettext_lazy("No complaints are tracked yet: open complaints will be listed here once they are recorded.")),
    Section("overdue", gettext_lazy("Past their expected next visit"),
            gettext_lazy("Every customer with a usual rhythm has come back or been contacted on time."),
            rows=overdue_rows, counts=overdue_counts,
            link=lambda ctx: _customer_list(ctx, overdue="yes", order="last_visit")),
    Section("unseen", gettext_lazy("A/B customers unseen longer than their usual cycle"),
            gettext_lazy("No A or B customer is overdue for a visit."),
            rows=unseen_rows, counts=unseen_counts,
            link=lambda ctx: _customer_list(ctx, grade=AB, order="last_visit")),
    Section("dates", gettext_lazy("Special dates in the next 7 days"),
            gettext_lazy("No birthdays or anniversaries of your customers in the coming week."),
            counts=dates_counts, link=lambda ctx: reverse("home") + "?page=1#reminders"),
]
KEYS = [s.key for s in SECTIONS]


def register(key: str, *, rows: Callable, counts: Callable | None = None, link: Callable | None = None) -> None:
    """Fill the section `key` (follow_ups, commitments, complaints): the hook for the tracking and
    complaints issues (call it from AppConfig.ready())."""
    for i, section in enumerate(SECTIONS):
        if section.key == key:
            SECTIONS[i] = dataclasses.replace(section, rows=rows, counts=counts, link=link or section.link)
            return
    raise KeyError(key)


# ---- development target (R-7.2) ---------------------------------------------------------------

def development_today(member, prop, day=None) -> tuple[int, int]:
    """(new files of `prop` the member brought in on `day`, their daily target): today's from
    control.targets.development_today (the one definition); another day's (the API's `day=`)
    counted the same way, with the target as it is now."""
    from yingke.control import targets
    from yingke.control.models import StaffSetting

    if day is None or day == prop.local_today():
        return targets.development_today(member, prop)
    setting = StaffSetting.objects.filter(property=prop, user=member).first()
    return targets.developed_on(member, prop, day), \
        setting.daily_target if setting else StaffSetting._meta.get_field("daily_target").default


# ---- who and where -----------------------------------------------------------------------------

def check_access(actor, member, prop) -> None:
    """CONTROL on `member`, and `prop` a property the member works at (and the actor, unless it
    is their own table)."""
    require(actor, CONTROL, member)
    if prop.pk not in member.property_ids() or (member.pk != actor.pk and prop.pk not in actor.property_ids()):
        raise PermissionDenied(_("This member of staff's control table is not kept in this property."))


def table_properties(actor, member) -> list:
    """Properties where `member` keeps a table `actor` may read (by code): the member's, and
    also the actor's unless it is their own table (check_access says the same for one)."""
    from yingke.core.models import Property

    ids = set(member.property_ids())
    if member.pk != actor.pk:
        ids &= set(actor.property_ids())
    return list(Property.objects.filter(pk__in=ids).order_by("code")) if ids else []


def table_day(prop, day=None) -> dt.date:
    return day or prop.local_today()


def control_table(actor, member, prop, day=None, *, cap: int = CAP) -> dict:
    """The member's control table in `prop` on `day` (default: the property's local today), at
    most `cap` rows per section (the counts are complete).

    {"member", "property", "day", "sections": [Part, …] in SECTIONS order,
     "development": {"done", "target", "met"}, "total": rows listed in all sections}."""
    check_access(actor, member, prop)
    day = table_day(prop, day)
    ctx = Ctx(actor, member, prop, day, cap)
    parts = []
    for s in SECTIONS:
        link = s.link(ctx) if s.link else ""
        if s.key == "dates":
            rows, count = dates_part(ctx)
            parts.append(Part(s.key, str(s.title), rows, count, empty=str(s.empty), link=link))
        elif s.rows is None:
            parts.append(Part(s.key, str(s.title), [], 0, tracked=False, empty=str(s.untracked)))
        else:
            rows, count = s.rows(ctx)
            parts.append(Part(s.key, str(s.title), rows, count, empty=str(s.empty), link=link))
    done, target = development_today(member, prop, day)
    return {"member": member, "property": prop, "day": day, "sections": parts,
            "development": {"done": done, "target": target, "met": done >= target},
            "total": sum(p.count for p in parts)}


def team_members(actor, prop) -> list:
    """Whose tables `actor` sees in `prop`: a general manager every active account and sales
    manager of the property; a sales manager themselves and their team working there. Others:
    PermissionDenied."""
    from yingke.core.models import User

    if not is_staff(actor) or actor.role not in (Role.GENERAL_MANAGER, Role.SALES_MANAGER) \
            or prop.pk not in actor.property_ids():
        raise PermissionDenied(_("Only a sales manager or the general manager sees a team's control tables."))
    staff = User.objects.filter(is_active=True, role__in=OWNER_ROLES, properties=prop)
    if actor.role == Role.SALES_MANAGER:
        staff = staff.filter(Q(pk=actor.pk) | Q(manager=actor))
    return list(staff.order_by("role", "display_name", "username", "pk"))


def team_table(actor, prop, day=None) -> dict:
    """One line per member of the actor's team in `prop`: each section's count and the
    development target: a fixed number of queries per section whatever the team's size, and one or
    two per member for the development target (control.targets.development_today).

    {"property", "day", "members": [{"member", "counts": {key: int | None}, "development",
    "total"}, …]}; a count is None for a section nothing tracks yet."""
    members = team_members(actor, prop)
    day = table_day(prop, day)
    ids = [m.pk for m in members]
    counts = {}
    for s in SECTIONS:
        counts[s.key] = s.counts(actor, ids, prop, day) if (s.counts and ids) else None
    development = development_for(members, prop, day)
    lines = []
    for m in members:
        c = {k: (None if v is None else v.get(m.pk, 0)) for k, v in counts.items()}
        done, target = development[m.pk]
        lines.append({"member": m, "counts": c, "total": sum(v for v in c.values() if v),
                      "development": {"done": done, "target": target, "met": done >= target}})
    return {"property": prop, "day": day, "members": lines,
            "tracked": {s.key: s.counts is not None for s in SECTIONS}}


def development_for(members, prop, day) -> dict:
    """{member id: (done, target)} for the team view (a query or two per member of the team,
    none per customer)."""
    return {m.pk: development_today(m, prop, day) for m in members}


def table_rows(table: dict):
    """(section title, Row) of every listed row, for the export."""
    for part in table["sections"]:
        for row in part.rows:
            yield part, row
