"""Customer modules (客户模块, R-5.1, R-5.2): their configuration, their target tables and
the module contribution report.

Rules:
  * Modules and targets are configuration (CONFIGURE on the property: its general manager or
    administrator). A module is added, changed, taken out of use; never deleted while files,
    targets or losses name it (a module nothing names may be deleted). Every change is
    audited (config.module.<verb>, config.module_target.<verb>); modules and targets also
    keep their own history.
  * A target is for one module and one period: a month, a quarter or a year starting on its
    first day, or any from–to range (end ≥ start). Two targets of one module may not
    overlap: a second target for the same days is refused with a message naming the first.
  * The contribution report (REPORT; a sales manager sees their team's customers only, by
    core.permissions.report_rule) covers a month, a quarter or a year; by default the
    current month so far. It is compared with the previous period of the same kind: the
    whole previous period for a finished period, its first days of the same number for a
    period in progress (1–28 November against 1–28 October). Per module of the customer
    today (and "no module"): effective customers (distinct customers with a visit in the
    period), visits, revenue, share of revenue, change against the previous period, and
    the module's target for exactly this period when there is one. Voided visits count
    nowhere; refunds (negative amounts) are not visits but lower the revenue (as in R-2.3).
  * Days are the property's local days: the bounds are local midnights turned into UTC
    instants in Python (as the grading engine does), so the query is one range over the
    visit_prop_time index (property, occurred_at) and one GROUP BY.
"""

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.core import permissions
from yingke.core.db import save_unique
from yingke.core.models import AuditEvent, Property
from yingke.core.permissions import CONFIGURE, REPORT, NotVisible
from yingke.core.services import MAX_ID, Conflict, _code, clean_text, configurable_properties, valid_id  # noqa: F401 - MAX_ID, valid_id re-exported
from yingke.customers.models import Customer, Module
from yingke.customers.modules import nature_values
from yingke.grading.models import Loss, ModuleTarget
from yingke.visits.models import Visit

ZERO = Decimal("0.00")
MAX_COUNT = 10_000_000
MAX_AMOUNT = Decimal("999999999999.99")
PERIODS = {
    "month": gettext_lazy("Month"),
    "quarter": gettext_lazy("Quarter"),
    "year": gettext_lazy("Year"),
}


# ---- modules ---------------------------------------------------------------------------

def configurable_modules(actor, property=None):
    props = configurable_properties(actor)
    qs = Module.objects.filter(property__in=props).select_related("property").annotate(
        n_files=Count("customers", distinct=True))
    if property is not None:
        qs = qs.filter(property=property)
    return qs.order_by("property__code", "sort_order", "id")


def configurable_module(actor, pk) -> Module:
    module = configurable_modules(actor).filter(pk=pk).first() if valid_id(pk) else None
    if module is None:
        raise NotVisible
    return module


def readable_modules(actor, property=None):
    """The modules of the properties `actor` works at (any member of staff: they choose a
    file's module); administrators and superusers also see those they configure."""
    if permissions.is_system(actor):
        ids = None
    elif not permissions.is_staff(actor):
        return Module.objects.none()
    else:
        ids = set(actor.property_ids())
        conf = permissions.configurable_property_ids(actor)
        if conf is None:
            ids = None
        else:
            ids |= set(conf)
    qs = Module.objects.select_related("property")
    if ids is not None:
        qs = qs.filter(property_id__in=ids)
    if property is not None:
        qs = qs.filter(property=property)
    return qs.order_by("property__code", "sort_order", "id")


def _module_state(m: Module) -> dict:
    return {"code": m.code, "name": m.name, "occasions": m.occasions, "natures": m.natures,
            "sort_order": m.sort_order, "is_active": m.is_active}


def _natures(value, errors) -> str:
    allowed = [v for v, _label in nature_values()]
    if value is None:
        value = []
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, list | tuple) or any(not isinstance(v, str) for v in value):
        errors["natures"] = [_("Choose from: %(choices)s.") % {"choices": ", ".join(allowed)}]
        return ""
    chosen = {v.strip() for v in value}
    bad = sorted(chosen - set(allowed))
    if bad:
        errors["natures"] = [_("Choose from: %(choices)s.") % {"choices": ", ".join(allowed)}]
        return ""
    return ",".join(v for v in allowed if v in chosen)


def _occasions(value, errors) -> str:
    raw = str(value or "").replace("，", ",").replace("、", ",")
    parts = [" ".join(p.split()) for p in raw.split(",")]
    text = ", ".join(p for p in parts if p)
    return clean_text(text, "occasions", 200, required=False, errors=errors)


def _module_fields(module: Module, data: dict, errors: dict) -> None:
    for field in set(data) - {"code", "name", "occasions", "natures", "sort_order", "is_active"}:
        errors[field] = [_("This field cannot be changed.")]
    if "code" in data:
        module.code = _code(data["code"], "code", errors)
    if "name" in data:
        module.name = clean_text(data["name"], "name", 50, errors=errors)
    if "occasions" in data:
        module.occasions = _occasions(data["occasions"], errors)
    if "natures" in data:
        module.natures = _natures(data["natures"], errors)
    if "sort_order" in data:
        order = data["sort_order"]
        if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 999:
            errors["sort_order"] = [_("Enter a whole number from 0 to %(max)s.") % {"max": 999}]
        else:
            module.sort_order = order
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors["is_active"] = [_("Enter true or false.")]
        else:
            module.is_active = data["is_active"]
    if errors:
        raise ValidationError(errors)
    # Valid input that the stored modules forbid: a Conflict (API 409), not bad input.
    clash = Module.objects.filter(property_id=module.property_id)
    if module.pk:
        clash = clash.exclude(pk=module.pk)
    if "code" in data and clash.filter(code__iexact=module.code).exists():
        errors["code"] = [_("This property already has a module with code “%(code)s”.") % {"code": module.code}]
    if "name" in data and clash.filter(name=module.name).exists():
        errors["name"] = [_("This property already has a module “%(name)s”.") % {"name": module.name}]
    if errors:
        raise Conflict(errors)


def _save_module(module):
    save_unique(module, "code", _("This property already has a module with this code or name."))


@transaction.atomic
def create_module(actor, prop: Property, **data) -> Module:
    permissions.require(actor, CONFIGURE, prop)
    module = Module(property=prop)
    data.setdefault("sort_order", (Module.objects.filter(property=prop).order_by("-sort_order")
                                   .values_list("sort_order", flat=True).first() or 0) + 1)
    errors: dict = {}
    for required in ("code", "name"):
        data.setdefault(required, "")
    _module_fields(module, data, errors)
    if errors:
        raise ValidationError(errors)
    _save_module(module)
    AuditEvent.record(actor, "config.module.create", f"module:{prop.code}/{module.code}",
                      after=_module_state(module))
    return module


def module_in_use(module: Module) -> bool:
    """Files, targets or losses name the module."""
    return (Customer.objects.filter(module=module).exists() or ModuleTarget.objects.filter(module=module).exists()
            or Loss.objects.filter(module=module).exists())


@transaction.atomic
def update_module(actor, module: Module, **data) -> Module:
    module = configurable_module(actor, module.pk)
    permissions.require(actor, CONFIGURE, module.property)
    before = _module_state(module)
    errors: dict = {}
    _module_fields(module, data, errors)
    if errors:
        raise ValidationError(errors)
    module._history_user = permissions.history_user(actor)
    _save_module(module)
    after = _module_state(module)
    changed = sorted(k for k in after if before[k] != after[k])
    if changed:
        AuditEvent.record(actor, "config.module.update", f"module:{module.property.code}/{module.code}",
                          before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return module


@transaction.atomic
def delete_module(actor, module: Module) -> None:
    """Only a module that nothing names; otherwise take it out of use (Conflict)."""
    module = configurable_module(actor, module.pk)
    permissions.require(actor, CONFIGURE, module.property)
    if module_in_use(module):
        raise Conflict({"module": [_("Files, targets or losses name this module: take it out of use instead "
                                     "of deleting it.")]})
    AuditEvent.record(actor, "config.module.delete", f"module:{module.property.code}/{module.code}",
                      before=_module_state(module))
    module._history_user = permissions.history_user(actor)
    module.delete()


# ---- targets ---------------------------------------------------------------------------

def period_bounds(kind: str, start: dt.date) -> tuple[dt.date, dt.date]:
    """The month, quarter or year containing `start`: (first day, last day)."""
    if kind == "month":
        first = start.replace(day=1)
        return first, start.replace(day=calendar.monthrange(start.year, start.month)[1])
    if kind == "quarter":
        month = 3 * ((start.month - 1) // 3) + 1
        first = dt.date(start.year, month, 1)
        last_month = month + 2
        return first, dt.date(start.year, last_month, calendar.monthrange(start.year, last_month)[1])
    if kind == "year":
        return dt.date(start.year, 1, 1), dt.date(start.year, 12, 31)
    raise ValueError(kind)


def targets_of(actor, module: Module):
    """A module's targets: for those who configure the property or read its reports."""
    if not (permissions.can(actor, CONFIGURE, module.property) or permissions.can(actor, REPORT, module.property)):
        permissions.require(actor, CONFIGURE, module.property)
    return ModuleTarget.objects.filter(module=module).order_by("-period_start", "-period_end", "id")


def readable_module(actor, pk) -> Module:
    """A module whose targets `actor` may read (CONFIGURE or REPORT on its property)."""
    module = readable_modules(actor).filter(pk=pk).first() if valid_id(pk) else None
    if module is None:
        raise NotVisible
    return module


def configurable_target(actor, pk) -> ModuleTarget:
    target = None
    if valid_id(pk):
        props = configurable_properties(actor)
        target = ModuleTarget.objects.select_related("module__property").filter(
            pk=pk, module__property__in=props).first()
    if target is None:
        raise NotVisible
    return target


def _target_state(t: ModuleTarget) -> dict:
    return {"from": t.period_start.isoformat(), "to": t.period_end.isoformat(), "customers": t.customers,
            "visits": t.visits, "amount": str(t.amount)}


def _count(value, field, errors):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        errors[field] = [_("Enter a whole number from 0 to %(max)s.") % {"max": f"{MAX_COUNT:,}"}]
        return 0
    return value


def _amount(value, errors):
    try:
        amount = Decimal(str(value)) if not isinstance(value, bool) else None
    except ArithmeticError:
        amount = None
    if amount is None or not amount.is_finite() or not ZERO <= amount <= MAX_AMOUNT \
            or amount != amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
        errors["amount"] = [_("Enter an amount from 0 to %(max)s with at most two decimals.")
                            % {"max": f"{MAX_AMOUNT:,}"}]
        return ZERO
    return amount.quantize(Decimal("0.01"))


def _target_fields(target: ModuleTarget, data: dict, errors: dict) -> None:
    for field in set(data) - {"period", "start", "end", "customers", "visits", "amount"}:
        errors[field] = [_("This field cannot be changed.")]
    period, start, end = data.get("period"), data.get("start", target.period_start), data.get("end")
    if "start" in data or "period" in data or "end" in data:
        if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
            errors["start"] = [_("Enter a date as YYYY-MM-DD.")]
        elif period in PERIODS:
            target.period_start, target.period_end = period_bounds(period, start)
        elif period not in (None, "", "custom"):
            errors["period"] = [_("Choose month, quarter, year or custom.")]
        else:
            if end is None and "end" not in data:
                end = target.period_end
            if not isinstance(end, dt.date) or isinstance(end, dt.datetime):
                errors["end"] = [_("Enter the last day of the period (YYYY-MM-DD).")]
            elif end < start:
                errors["end"] = [_("The end of the period is before its start.")]
            else:
                target.period_start, target.period_end = start, end
    for field in ("customers", "visits"):
        if field in data:
            setattr(target, field, _count(data[field], field, errors))
    if "amount" in data:
        target.amount = _amount(data["amount"], errors)
    if not errors and target.period_start and target.period_end:
        clash = ModuleTarget.objects.filter(module_id=target.module_id, period_start__lte=target.period_end,
                                            period_end__gte=target.period_start)
        if target.pk:
            clash = clash.exclude(pk=target.pk)
        other = clash.order_by("period_start").first()
        if other is not None:  # valid input that the stored targets forbid (API 409)
            raise Conflict({"start": [_("This module already has a target from %(start)s to %(end)s, which "
                                        "overlaps these dates; change that one instead.")
                                      % {"start": other.period_start.isoformat(),
                                         "end": other.period_end.isoformat()}]})


@transaction.atomic
def create_target(actor, module: Module, **data) -> ModuleTarget:
    module = configurable_module(actor, module.pk)
    permissions.require(actor, CONFIGURE, module.property)
    Module.objects.select_for_update().filter(pk=module.pk).exists()  # targets of one module one at a time
    target = ModuleTarget(module=module, period_start=None, period_end=None)
    errors: dict = {}
    if "start" not in data:
        errors["start"] = [_("This field is required.")]
    data.setdefault("period", "month")
    _target_fields(target, data, errors)
    if errors:
        raise ValidationError(errors)
    target.updated_by = permissions.history_user(actor)
    target._history_user = permissions.history_user(actor)
    save_unique(target, "start", _("This module already has a target for these dates."))
    AuditEvent.record(actor, "config.module_target.create", f"module:{module.property.code}/{module.code}",
                      after=_target_state(target))
    return target


@transaction.atomic
def update_target(actor, target: ModuleTarget, **data) -> ModuleTarget:
    target = configurable_target(actor, target.pk)
    permissions.require(actor, CONFIGURE, target.module.property)
    Module.objects.select_for_update().filter(pk=target.module_id).exists()
    before = _target_state(target)
    errors: dict = {}
    _target_fields(target, data, errors)
    if errors:
        raise ValidationError(errors)
    target.updated_by = permissions.history_user(actor)
    target.updated_at = timezone.now()
    target._history_user = permissions.history_user(actor)
    save_unique(target, "start", _("This module already has a target for these dates."))
    after = _target_state(target)
    changed = sorted(k for k in after if before[k] != after[k])
    if changed:
        AuditEvent.record(actor, "config.module_target.update",
                          f"module:{target.module.property.code}/{target.module.code}",
                          before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return target


# ---- the contribution report -------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date  # first day
    end: dt.date  # last day counted (today for a period in progress)
    natural_end: dt.date  # last day of the whole period
    previous_start: dt.date
    previous_end: dt.date

    @property
    def in_progress(self) -> bool:
        return self.end < self.natural_end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def make_period(kind: str, start: dt.date | None, today: dt.date) -> Period:
    """The period of `kind` containing `start` (default: today), cut at today when in
    progress, and the previous period of the same kind (its first days of the same number
    when this one is in progress)."""
    if kind not in PERIODS:
        raise ValidationError({"period": [_("Choose month, quarter or year.")]})
    first, last = period_bounds(kind, start or today)
    if first > today:
        raise ValidationError({"start": [_("This period has not started yet.")]})
    end = min(last, today)
    prev_first, prev_last = period_bounds(kind, first - dt.timedelta(days=1))
    if end < last:
        prev_end = min(prev_last, prev_first + dt.timedelta(days=(end - first).days))
    else:
        prev_end = prev_last
    return Period(kind, first, end, last, prev_first, prev_end)


def _change(now, before):
    if before in (None, 0):
        return now - (before or 0), None
    pct = (Decimal(now - before) * 100 / Decimal(before)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return now - before, pct


def _pct(part, whole):
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def module_report(actor, prop: Property, kind: str = "month", start: dt.date | None = None,
                  today: dt.date | None = None) -> dict:
    """The module contribution report of `prop` (see the module docstring)."""
    permissions.require(actor, REPORT, prop)
    period = make_period(kind, start, today or prop.local_today())
    cur_from, cur_to = prop.day_start(period.start), prop.day_start(period.end + dt.timedelta(days=1))
    prev_from, prev_to = prop.day_start(period.previous_start), prop.day_start(period.previous_end + dt.timedelta(days=1))
    paid = Q(amount__gte=0)
    in_cur = Q(occurred_at__gte=cur_from, occurred_at__lt=cur_to)
    in_prev = Q(occurred_at__gte=prev_from, occurred_at__lt=prev_to)
    # One range over visit_prop_time covering both periods, one GROUP BY.
    rows = (Visit.objects.filter(property=prop, voided_at__isnull=True, occurred_at__gte=prev_from,
                                 occurred_at__lt=cur_to)
            .filter(permissions.report_rule(actor, "customer"))
            .values("customer__module_id")
            .annotate(customers=Count("customer_id", distinct=True, filter=in_cur & paid),
                      visits=Count("id", filter=in_cur & paid),
                      revenue=Sum("amount", filter=in_cur),
                      p_customers=Count("customer_id", distinct=True, filter=in_prev & paid),
                      p_visits=Count("id", filter=in_prev & paid),
                      p_revenue=Sum("amount", filter=in_prev))
            .order_by())
    figures = {r["customer__module_id"]: r for r in rows}
    modules = list(Module.objects.filter(property=prop).order_by("sort_order", "id"))
    targets = {t.module_id: t for t in ModuleTarget.objects.filter(
        module__property=prop, period_start=period.start, period_end=period.natural_end)}
    lines = []
    for module in [*modules, None]:
        key = module.pk if module else None
        f = figures.get(key)
        if f is None and (module is None or not module.is_active) and key not in targets:
            continue  # an empty "no module" line, or a module out of use with nothing to show
        f = f or {}
        line = {"module": module, "module_id": key, "code": module.code if module else "",
                "name": module.name if module else _("No module"),
                "customers": f.get("customers") or 0, "visits": f.get("visits") or 0,
                "revenue": (f.get("revenue") or ZERO).quantize(Decimal("0.01")),
                "prev_customers": f.get("p_customers") or 0, "prev_visits": f.get("p_visits") or 0,
                "prev_revenue": (f.get("p_revenue") or ZERO).quantize(Decimal("0.01"))}
        for name in ("customers", "visits", "revenue"):
            line[f"{name}_change"], line[f"{name}_change_pct"] = _change(line[name], line[f"prev_{name}"])
        target = targets.get(key)
        line["target"] = target
        if target is not None:
            line["target_customers_pct"] = _pct(line["customers"], target.customers)
            line["target_visits_pct"] = _pct(line["visits"], target.visits)
            line["target_revenue_pct"] = _pct(line["revenue"], target.amount)
        lines.append(line)
    totals = {name: sum(line[name] for line in lines) for name in
              ("customers", "visits", "revenue", "prev_customers", "prev_visits", "prev_revenue")}
    # Distinct customers of the whole property (a customer counts once, whatever their module).
    totals["revenue"] = Decimal(totals["revenue"]).quantize(Decimal("0.01"))
    totals["prev_revenue"] = Decimal(totals["prev_revenue"]).quantize(Decimal("0.01"))
    for line in lines:
        line["share"] = _pct(line["revenue"], totals["revenue"]) if totals["revenue"] > 0 else None
        line["prev_share"] = _pct(line["prev_revenue"], totals["prev_revenue"]) if totals["prev_revenue"] > 0 \
            else None
    for name in ("customers", "visits", "revenue"):
        totals[f"{name}_change"], totals[f"{name}_change_pct"] = _change(totals[name], totals[f"prev_{name}"])
    return {"property": prop, "period": period, "lines": lines, "totals": totals,
            "team_limited": permissions.team_limited(actor)}
