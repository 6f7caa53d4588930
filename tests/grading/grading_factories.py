"""Data for the grading tests: fast bulk rows and a plain Python implementation of R-4,
written straight from the SPEC text (tuples, Decimal and Fraction; no SQL)."""

import datetime as dt
import itertools
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from yingke.core.models import Property
from yingke.customers.models import Customer
from yingke.grading.models import GradeEntry, GradingPolicy
from yingke.visits.models import Visit

_codes = itertools.count(1)


def make_property(code=None, time_zone="Asia/Shanghai", window=60, a_share="20", b_share="50", nightly=True):
    prop = Property.objects.create(code=code or f"G{next(_codes)}", name="分级测试", time_zone=time_zone)
    GradingPolicy.objects.filter(property=prop).update(window_days=window, a_share=Decimal(a_share),
                                                       b_share=Decimal(b_share), nightly=nightly)
    return prop


def make_customers(prop, n, prefix="K"):
    Customer.objects.bulk_create([Customer(property=prop, customer_code=f"{prefix}{i:04d}", name=f"客人{i}")
                                  for i in range(n)])
    return list(Customer.objects.filter(property=prop, customer_code__startswith=prefix).order_by("id"))


def add_visits(rows):
    """rows: (property, customer, occurred_at (aware), amount, voided)."""
    n = next(_codes)
    Visit.objects.bulk_create([
        Visit(property=p, customer=c, occurred_at=at, amount=Decimal(amount), doc_key=f"v{n}-{i}",
              voided_at=at if voided else None)
        for i, (p, c, at, amount, voided) in enumerate(rows)])


def local(time_zone, day: dt.date, hour=12, minute=0, second=0):
    """An aware datetime at that local wall-clock time."""
    return dt.datetime.combine(day, dt.time(hour, minute, second), tzinfo=ZoneInfo(time_zone))


@dataclass
class Expected:
    grade: str
    visits: int
    amount: Decimal
    standard: Decimal | None
    rank_visits: int | None
    rank_amount: int | None


def reference(customers, visits, as_of: dt.date, window: int, a_share, b_share, time_zone: str) -> dict:
    """R-4.1–R-4.5 for `customers` (objects with .id and .property_id) and `visits`
    ((property_id, customer_id, occurred_at, amount, voided)). Returns {customer id: Expected}.
    f counts the non-voided rows of the window with amount ≥ 0 (a refund is not a visit); m sums
    every non-voided amount of the window, refunds negative; effective = f ≥ 1."""
    tz = ZoneInfo(time_zone)
    prop_ids = {c.property_id for c in customers}
    per = {c.id: {"f": 0, "m": Decimal("0"), "last": None} for c in customers}
    for prop_id, cid, at, amount, voided in visits:
        if voided or prop_id not in prop_ids or cid not in per:
            continue
        d = at.astimezone(tz).date()
        # the window (D − W, D] of local dates
        if not (as_of - dt.timedelta(days=window) < d <= as_of):
            continue
        x = per[cid]
        # a refund (a negative amount) is not a visit: it lowers m, not f, and is never `last`
        x["m"] += Decimal(amount)
        if Decimal(amount) >= 0:
            x["f"] += 1
            x["last"] = at if x["last"] is None or at > x["last"] else x["last"]
    effective = [cid for cid, x in per.items() if x["f"] >= 1]
    n = len(effective)
    k = math.ceil(Fraction(Decimal(a_share)) / 100 * n)

    def later_first(cid):  # descending by time: compare the negated timestamp exactly
        last = per[cid]["last"]
        return -(last - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) / dt.timedelta(microseconds=1)

    # each ranking broken by the other measure, then the most recent visit, then id
    by_f = sorted(effective, key=lambda c: (-per[c]["f"], -per[c]["m"], later_first(c), c))
    by_m = sorted(effective, key=lambda c: (-per[c]["m"], -per[c]["f"], later_first(c), c))
    rank_f = {c: i for i, c in enumerate(by_f, 1)}
    rank_m = {c: i for i, c in enumerate(by_m, 1)}
    #
    a_order = sorted(effective, key=lambda c: (max(rank_f[c], rank_m[c]), rank_f[c] + rank_m[c], -per[c]["m"], c))
    a_set = set(a_order[:k])
    #
    rest = sorted((c for c in effective if c not in a_set),
                  key=lambda c: (-Fraction(per[c]["m"]) / per[c]["f"], -per[c]["m"], c))
    b_count = math.ceil(Fraction(Decimal(b_share)) / 100 * (n - k))
    b_set = set(rest[:b_count])
    out = {}
    for cid, x in per.items():
        if x["f"] == 0:
            out[cid] = Expected("D", 0, Decimal("0.00"), None, None, None)
            continue
        grade = "A" if cid in a_set else "B" if cid in b_set else "C"
        out[cid] = Expected(grade, x["f"], x["m"].quantize(Decimal("0.01")),
                            (x["m"] / x["f"]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                            rank_f[cid], rank_m[cid])
    out["_order"] = a_order[:k] + rest + sorted((c for c in per if per[c]["f"] == 0),
                                                key=lambda c: next(x.customer_code for x in customers if x.id == c))
    return out


def stored(run) -> dict:
    return {e.customer_id: Expected(e.grade, e.visits, e.amount, e.standard, e.rank_visits, e.rank_amount)
            for e in GradeEntry.objects.filter(run=run)}
