"""Seed 000's worked rule for grade A, as a procedure: take the top 20 % of the ranking by
frequency and of the ranking by amount, keep the customers in both; while fewer than k,
extend both rankings one place at a time until k are found. R-4.4's ordering
(max(rank_f, rank_m), rank_f + rank_m, −m, id) is that procedure, with the tie-break for
the step at which more than the missing number enter at once."""

import datetime as dt
from decimal import Decimal

import pytest

from yingke.core.permissions import SYSTEM
from yingke.grading.models import GradeEntry, GradingPolicy
from yingke.grading.services import run_grading

from .grading_factories import add_visits, local, make_customers, make_property

D = dt.date(2026, 5, 20)
# code: (visits, amount). c1 comes most often but spends little; c3 spends most but rarely.
DATA = {
    "K0000": (9, "100"), "K0001": (8, "2000"), "K0002": (2, "3000"), "K0003": (7, "1500"), "K0004": (1, "2500"),
    "K0005": (3, "300"), "K0006": (3, "200"), "K0007": (2, "150"), "K0008": (1, "80"), "K0009": (1, "50"),
}
# Ranks by hand: by visits K0000 K0001 K0003 K0005 K0006 K0002 K0007 K0004 K0008 K0009;
# by amount K0002 K0004 K0001 K0003 K0005 K0006 K0007 K0000 K0008 K0009.
EXPECTED_A = {
    # k = 2: top 2 of each share nobody; at 3 places K0001; at 4 places K0001 and K0003.
    "20": {"K0001", "K0003"},
    # k = 3: at 5 places K0005 (4th by visits, 5th by amount) joins.
    "30": {"K0001", "K0003", "K0005"},
    # k = 4: at 6 places both K0002 (6th, 1st) and K0006 (5th, 6th) enter: one place is left,
    # K0002 has the smaller rank sum (7 against 11).
    "40": {"K0001", "K0003", "K0005", "K0002"},
}


def seed_procedure(rank_f: dict, rank_m: dict, k: int) -> set:
    """The text of seed 000, step by step."""
    chosen: set = set()
    depth = 0
    while len(chosen) < k:
        depth += 1
        top_f = {c for c, r in rank_f.items() if r <= depth}
        top_m = {c for c, r in rank_m.items() if r <= depth}
        entering = (top_f & top_m) - chosen
        missing = k - len(chosen)
        if len(entering) > missing:  # more enter at this step than places are left
            entering = set(sorted(entering, key=lambda c: (rank_f[c] + rank_m[c], -AMOUNT[c], c))[:missing])
        chosen |= entering
    return chosen


AMOUNT = {code: Decimal(m) for code, (_f, m) in DATA.items()}


def load(prop):
    customers = make_customers(prop, len(DATA))
    day = local(prop.time_zone, D, 18)
    rows = []
    for c in customers:
        f, m = DATA[c.customer_code]
        share = (Decimal(m) / f).quantize(Decimal("0.01"))
        amounts = [share] * (f - 1) + [Decimal(m) - share * (f - 1)]
        rows += [(prop, c, day, str(a), False) for a in amounts]
    add_visits(rows)


@pytest.mark.django_db
@pytest.mark.parametrize("share", ["20", "30", "40"])
def test_grade_a_is_the_top_of_both_rankings_extended_step_by_step(share):
    prop = make_property()
    GradingPolicy.objects.filter(property=prop).update(a_share=Decimal(share))
    load(prop)
    run = run_grading(SYSTEM, prop, as_of=D)
    entries = {e.customer.customer_code: e for e in GradeEntry.objects.filter(run=run).select_related("customer")}
    rank_f = {code: e.rank_visits for code, e in entries.items()}
    rank_m = {code: e.rank_amount for code, e in entries.items()}
    assert [c for c, _r in sorted(rank_f.items(), key=lambda x: x[1])] == [
        "K0000", "K0001", "K0003", "K0005", "K0006", "K0002", "K0007", "K0004", "K0008", "K0009"]
    assert [c for c, _r in sorted(rank_m.items(), key=lambda x: x[1])] == [
        "K0002", "K0004", "K0001", "K0003", "K0005", "K0006", "K0007", "K0000", "K0008", "K0009"]
    a_set = {code for code, e in entries.items() if e.grade == "A"}
    k = len(EXPECTED_A[share])
    assert run.a_count == k
    assert a_set == EXPECTED_A[share] == seed_procedure(rank_f, rank_m, k)
    # Neither the most frequent guest nor the biggest spender alone is A at 20 %.
    if share == "20":
        assert entries["K0000"].grade != "A" and entries["K0002"].grade != "A"
