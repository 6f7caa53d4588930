"""R-11.1: the Pareto ranked in the database equals a plain Python ranking of the same
customer-months (ties, refunds netting a customer to zero or below, one-cent amounts, team
limits), on SQLite and PostgreSQL."""

import datetime as dt
import math
import random
from decimal import Decimal

import pytest

from tests.conftest import make_customer
from yingke.core.permissions import SYSTEM
from yingke.reports import dashboard
from yingke.reports.models import CustomerMonthStat


def plain(revenues: list[Decimal]) -> dict:
    values = sorted((v for v in revenues if v > 0), reverse=True)
    n, total = len(values), sum(values, Decimal("0"))
    running, cumulative = Decimal("0"), []
    for v in values:
        running += v
        cumulative.append(running)
    k80 = next((i for i, run in enumerate(cumulative, 1) if run >= total * Decimal("0.8")), None)
    points = [[0.0, 0.0]]
    for p in range(1, 101):
        i = math.ceil(n * p / 100)
        point = [round(i / n, 4), round(float(cumulative[i - 1]) / float(total), 4)] if n else None
        if point and point != points[-1]:
            points.append(point)
    deciles = {}
    for d in range(1, 11):
        if n:
            deciles[math.ceil(n * d / 10)] = d * 10
    return {"customers": n, "total": total, "customers_80": k80, "points": points,
            "deciles": [(pct, i, cumulative[i - 1]) for i, pct in sorted(deciles.items())]}


def fill(world, amounts: list[list[str]], owners=None):
    customers = []
    for n, months in enumerate(amounts):
        owner = owners[n % len(owners)] if owners else None
        c = make_customer(world.h1, f"P{n:04d}", f"客户{n}", owner=owner)
        customers.append(c)
        CustomerMonthStat.objects.bulk_create([
            CustomerMonthStat(property=world.h1, customer=c, owner=owner, month=dt.date(2026, 1 + m, 1),
                              visits=1, revenue=Decimal(a)) for m, a in enumerate(months)])
    return customers


@pytest.mark.parametrize("seed", range(6))
def test_the_database_ranking_equals_a_plain_one(world, seed):
    rnd = random.Random(seed)
    choices = ["0.01", "100.00", "100.00", "250.50", "-88.00", "999999.99", "0.00", "33.33"]
    n = rnd.choice([1, 3, 9, 10, 11, 57, 140])
    amounts = [[rnd.choice(choices) for _m in range(rnd.randint(1, 3))] for _c in range(n)]
    fill(world, amounts)
    period = dashboard.Period(dt.date(2026, 1, 1), dt.date(2026, 12, 1))
    got = dashboard.pareto_figures(SYSTEM, world.h1, period, False)
    want = plain([sum((Decimal(a) for a in months), Decimal("0")) for months in amounts])
    assert got["customers"] == want["customers"]
    assert Decimal(got["total"]) == want["total"]
    assert got["customers_80"] == want["customers_80"]
    assert got["points"] == want["points"]
    assert [(r["customers_pct"], r["customers"], Decimal(r["revenue"])) for r in got["rows"]] == want["deciles"]


def test_months_outside_the_period_and_other_teams_do_not_count(world):
    fill(world, [["500.00", "100.00"], ["300.00"], ["200.00", "0.00", "700.00"]], owners=[world.am1, world.am3])
    may = dashboard.Period(dt.date(2026, 1, 1), dt.date(2026, 1, 1))
    every = dashboard.pareto_figures(SYSTEM, world.h1, may, False)
    assert every["customers"] == 3 and every["total"] == "1000.00" and every["customers_80"] == 2
    team = dashboard.pareto_figures(world.sm, world.h1, may, True)  # am3 is not in the team
    assert team["customers"] == 2 and team["total"] == "700.00" and team["customers_80"] == 2


def test_no_revenue_gives_an_empty_curve(world):
    fill(world, [["-10.00"], ["0.00"]])
    got = dashboard.pareto_figures(SYSTEM, world.h1, dashboard.Period(dt.date(2026, 1, 1), dt.date(2026, 3, 1)), False)
    assert got["customers"] == 0 and got["total"] == "0.00" and got["customers_80"] is None
    assert got["points"] == [[0.0, 0.0]] and got["rows"] == []
