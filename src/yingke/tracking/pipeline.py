"""The pipeline of opportunities (R-11.4): banquets, weddings, group bookings, corporate
agreements with a stage, an amount, an expected date and a probability; the weighted forecast
by month. The one place that writes opportunities; every function asks core.permissions.

- Opportunities follow the row rule of files (property and owner: `Opportunity.objects.
  visible_to`). Opening one needs `require(actor, TRACK, property)`; changing one `EDIT`.
- Each is about a guest file or a lead the actor sees (a converted lead's file is used).
- Moving the stage sets the probability to DEFAULT_PROBABILITY unless one is given. Won sets
  `closed_at` and may link visits of the same customer (not voided, seen by the actor) that
  realised it; lost needs a reason. Moving back to an open stage reopens it.
- The forecast per month of the expected date: open opportunities' amount × probability, plus
  the amounts won. What counts is what the user may see in reports: `report_rule` for the
  general and sales managers (a sales manager: their team's), `visible_to` for the others.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.core import permissions
from yingke.core.permissions import (
    EDIT,
    TRACK,
    assignable_owners,
    is_staff,
    reads_reports,
    report_rule,
    require,
)
from yingke.core.services import Conflict, _raise, clean_text, valid_id
from yingke.customers.models import Customer
from yingke.tracking import services
from yingke.tracking.models import DEFAULT_PROBABILITY, Lead, Opportunity, OpportunityKind, OpportunityStage

Stage = OpportunityStage
OPEN = (Stage.INQUIRY, Stage.PROPOSAL, Stage.NEGOTIATION)
CLOSED = (Stage.WON, Stage.LOST)
MAX_VISITS = 50
FORECAST_MAX_MONTHS = 24


# ---- input ---------------------------------------------------------------------------------

def _probability(value, errors) -> int | None:
    if value in (None, ""):
        return None
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        p = int(str(value).strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError, OverflowError):
        errors.setdefault("probability", []).append(_("Enter a whole number from 0 to 100."))
        return None
    if not 0 <= p <= 100:
        errors.setdefault("probability", []).append(_("Enter a whole number from 0 to 100."))
        return None
    return p


def _subject(actor, prop, customer, lead, errors):
    """(customer, lead) the opportunity is about: files and leads of `prop` the actor sees."""
    c = ld = None
    if customer not in (None, ""):
        pk = getattr(customer, "pk", customer)
        c = Customer.objects.visible_to(actor).filter(pk=pk, property=prop).first() if valid_id(pk) else None
        if c is None:
            errors.setdefault("customer", []).append(_("Choose a guest file of this property that you can see."))
    if lead not in (None, ""):
        pk = getattr(lead, "pk", lead)
        ld = Lead.objects.visible_to(actor).filter(pk=pk, property=prop).first() if valid_id(pk) else None
        if ld is None:
            errors.setdefault("lead", []).append(_("Choose a lead of this property that you can see."))
        elif c is None and ld.customer_id and "customer" not in errors:
            c = Customer.objects.visible_to(actor).filter(pk=ld.customer_id).first()
            if c is None:  # converted into a file the actor does not see
                errors.setdefault("lead", []).append(_("Choose a lead of this property that you can see."))
    if customer in (None, "") and lead in (None, ""):
        errors.setdefault("customer", []).append(_("Name the guest file or the lead this opportunity is about."))
    return c, ld


def _fields(actor, opp: Opportunity, data: dict, errors: dict) -> None:
    if "kind" in data:
        if data["kind"] not in OpportunityKind.values:
            errors.setdefault("kind", []).append(_("Choose one of: %(choices)s.") % {
                "choices": ", ".join(str(label) for label in OpportunityKind.labels)})
        else:
            opp.kind = data["kind"]
    if "title" in data:
        opp.title = clean_text(data["title"], "title", 100, errors=errors)
    if "amount" in data:
        amount = services.amount_of(data["amount"], "amount", errors)
        if amount is not None:
            opp.amount = amount
    if "expected_on" in data:
        day = services._date(data["expected_on"], "expected_on", errors)
        if day is not None:
            opp.expected_on = day
    if "owner" in data:
        owner = data["owner"]
        if owner in (None, ""):
            opp.owner = None
        elif getattr(owner, "pk", owner) != opp.owner_id:
            pk = getattr(owner, "pk", owner)
            found = assignable_owners(actor, opp.property).filter(pk=pk).first() if valid_id(pk) else None
            if found is None:
                errors.setdefault("owner", []).append(_("You cannot make this member of staff responsible for it."))
            else:
                opp.owner = found


# ---- writing -------------------------------------------------------------------------------

def create_opportunity(actor, prop, *, customer=None, lead=None, probability=None, stage=Stage.INQUIRY,
                       **data) -> Opportunity:
    """A new opportunity in `prop` at an open stage, about a file or a lead the actor sees. The
    owner defaults to the actor when they may own files there, else the file's owner."""
    require(actor, TRACK, prop)
    errors: dict = {}
    opp = Opportunity(property=prop, created_by=permissions.history_user(actor))
    opp.customer, opp.lead = _subject(actor, prop, customer, lead, errors)
    if "owner" not in data:
        if is_staff(actor) and assignable_owners(actor, prop).filter(pk=actor.pk).exists():
            opp.owner = actor
        else:
            subject = opp.customer or opp.lead
            opp.owner = subject.owner if subject is not None else None
    for name in ("kind", "title", "amount", "expected_on"):
        data.setdefault(name, None if name != "title" else "")
    _fields(actor, opp, data, errors)
    if stage not in OPEN:
        errors.setdefault("stage", []).append(_("A new opportunity starts at an open stage: inquiry, proposal or "
                                                "negotiation."))
    p = _probability(probability, errors)
    _raise(errors)
    opp.stage = stage
    opp.probability = DEFAULT_PROBABILITY[stage] if p is None else p
    services._stamp(opp, actor)
    opp.save()
    return opp


def _locked(opp: Opportunity) -> Opportunity:
    locked = Opportunity.objects.select_for_update(of=("self",)).select_related("property") \
        .filter(pk=opp.pk).first()
    if locked is None:
        raise permissions.NotVisible
    return locked


def _visits(actor, opp: Opportunity, visits, errors):
    from yingke.visits.models import Visit

    if not isinstance(visits, list | tuple | set):
        errors.setdefault("visits", []).append(_("Give the visits as a list."))
        return []
    ids = [getattr(v, "pk", v) for v in visits]
    if len(ids) > MAX_VISITS:
        errors.setdefault("visits", []).append(_("At most %(n)d visits.") % {"n": MAX_VISITS})
        return []
    if not ids:
        return []
    if opp.customer_id is None:
        errors.setdefault("visits", []).append(_("Only an opportunity of a guest file links visits."))
        return []
    good = [pk for pk in ids if valid_id(pk)]
    found = list(Visit.objects.visible_to(actor).filter(pk__in=good, customer_id=opp.customer_id,
                                                         voided_at__isnull=True))
    if len(found) != len(set(ids)):
        errors.setdefault("visits", []).append(_("Choose visits of this guest that you can see and that are not "
                                                 "voided."))
        return []
    return found


def update_opportunity(actor, opp: Opportunity, **data) -> Opportunity:
    """Change kind, title, amount, expected date, probability, owner; `visits` (won only)."""
    with transaction.atomic():
        opp = _locked(opp)
        require(actor, EDIT, opp)
        errors: dict = {}
        data.pop("stage", None)
        _fields(actor, opp, data, errors)
        if "probability" in data and data["probability"] not in (None, ""):
            p = _probability(data["probability"], errors)
            if p is not None:
                opp.probability = p
        visits = None
        if "visits" in data and data["visits"] is not None:
            if opp.stage != Stage.WON and not data["visits"]:
                pass  # nothing to link
            elif opp.stage != Stage.WON:
                errors.setdefault("visits", []).append(_("Only a won opportunity links the visits that realised it."))
            else:
                visits = _visits(actor, opp, data["visits"], errors)
        _raise(errors)
        services._stamp(opp, actor)
        opp.save()
        if visits is not None:
            opp.visits.set(visits)
    return opp


def move_stage(actor, opp: Opportunity, stage, *, probability=None, lost_reason="", visits=None,
               expect=None) -> Opportunity:
    """Move to `stage`: the probability becomes the stage's default unless given; won closes it
    (and links `visits`), lost closes it with a reason, an open stage reopens it. `expect` is
    the stage the user saw: another means someone moved it meanwhile (Conflict)."""
    errors: dict = {}
    if stage not in Stage.values:
        errors.setdefault("stage", []).append(_("Choose one of: %(choices)s.") % {
            "choices": ", ".join(str(label) for label in Stage.labels)})
    p = _probability(probability, errors)
    reason = clean_text(lost_reason, "lost_reason", 200, required=stage == Stage.LOST, errors=errors)
    _raise(errors)
    with transaction.atomic():
        opp = _locked(opp)
        require(actor, EDIT, opp)
        if expect not in (None, "") and expect != opp.stage:
            raise Conflict(_("Someone moved this opportunity meanwhile; it is now at “%(stage)s”.")
                           % {"stage": opp.get_stage_display()})
        linked = []
        if visits:
            if stage != Stage.WON:
                raise ValidationError({"visits": [_("Only a won opportunity links the visits that realised it.")]})
            linked = _visits(actor, opp, visits, errors)
            _raise(errors)
        if stage == opp.stage and p is None and not linked and (stage != Stage.LOST or reason == opp.lost_reason):
            return opp
        if stage != opp.stage:
            opp.probability = DEFAULT_PROBABILITY[stage]
        if p is not None:
            opp.probability = p
        was = opp.stage
        opp.stage = stage
        if stage in CLOSED:
            if was != stage or opp.closed_at is None:
                opp.closed_at = timezone.now()
            opp.lost_reason = reason if stage == Stage.LOST else ""
        else:
            opp.closed_at, opp.lost_reason = None, ""
        services._stamp(opp, actor, opp.get_stage_display())
        opp.save()
        if stage != Stage.WON:
            opp.visits.clear()
        elif linked:
            opp.visits.set(linked)
    return opp


# ---- reading -------------------------------------------------------------------------------

def counted_by(user):
    """The opportunities whose figures `user` sees in the forecast."""
    if reads_reports(user):
        return Opportunity.objects.filter(report_rule(user))
    return Opportunity.objects.visible_to(user)


def board(qs) -> list[dict]:
    """Per stage: count, amount, weighted amount of `qs` (the board's and the table's totals)."""
    weighted = ExpressionWrapper(F("amount") * F("probability") / Decimal(100),
                                 output_field=DecimalField(max_digits=16, decimal_places=4))
    rows = {r["stage"]: r for r in qs.order_by().values("stage").annotate(n=Count("id"), total=Sum("amount"),
                                                                         wsum=Sum(weighted))}
    out = []
    for stage in Stage:
        r = rows.get(stage.value, {})
        out.append({"stage": stage.value, "label": str(stage.label), "count": r.get("n", 0),
                    "amount": _money(r.get("total")), "weighted": _money(r.get("wsum"))})
    return out


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def months(start: dt.date, count: int) -> list[dt.date]:
    out, m = [], start.replace(day=1)
    for _i in range(count):
        out.append(m)
        m = (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def forecast(user, props, start: dt.date, count: int) -> dict:
    """The weighted forecast of `props` for `count` months from `start` (a month's first day):
    per month the open opportunities (count, amount, weighted = amount × probability / 100), the
    won ones (count, amount) and the forecast (weighted + won). Lost ones count nowhere."""
    count = max(1, min(count, FORECAST_MAX_MONTHS))
    span = months(start, count + 1)
    qs = counted_by(user).filter(property__in=props, expected_on__gte=span[0], expected_on__lt=span[-1])
    weighted = ExpressionWrapper(F("amount") * F("probability") / Decimal(100),
                                 output_field=DecimalField(max_digits=16, decimal_places=4))
    rows = (qs.exclude(stage=Stage.LOST).annotate(m=TruncMonth("expected_on")).order_by()
            .values("m").annotate(open_n=Count("id", filter=Q(stage__in=OPEN)),
                                  open_amount=Sum("amount", filter=Q(stage__in=OPEN)),
                                  wsum=Sum(weighted, filter=Q(stage__in=OPEN)),
                                  won_n=Count("id", filter=Q(stage=Stage.WON)),
                                  won_amount=Sum("amount", filter=Q(stage=Stage.WON))))
    by_month = {}
    for r in rows:
        m = r["m"]
        m = m.date() if isinstance(m, dt.datetime) else m
        by_month[m] = r
    lines, totals = [], {"open_count": 0, "open_amount": Decimal("0.00"), "weighted": Decimal("0.00"),
                         "won_count": 0, "won_amount": Decimal("0.00"), "forecast": Decimal("0.00")}
    for m in span[:-1]:
        r = by_month.get(m, {})
        line = {"month": m, "open_count": r.get("open_n", 0), "open_amount": _money(r.get("open_amount")),
                "weighted": _money(r.get("wsum")), "won_count": r.get("won_n", 0),
                "won_amount": _money(r.get("won_amount"))}
        line["forecast"] = line["weighted"] + line["won_amount"]
        for key in totals:
            totals[key] += line[key]
        lines.append(line)
    return {"months": lines, "totals": totals, "team_limited": permissions.team_limited(user)}
