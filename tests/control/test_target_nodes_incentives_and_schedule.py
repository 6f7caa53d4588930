"""Target node analysis (R-6.5): time elapsed % against achieved % (behind schedule), the
three incentive points of seed 000 on a small known data set, modules against their targets,
who reads what, the page and its exports."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_customer
from yingke.control import nodes, targets
from yingke.customers.models import Customer, Module
from yingke.grading.models import GradeEntry, GradingRun, ModuleTarget
from yingke.visits.models import Visit

UTC = dt.UTC
MARCH = targets.TargetPeriod("month", dt.date(2026, 3, 1))
TODAY = dt.date(2026, 3, 15)  # 15 of 31 days: 48.4 % elapsed


def local(day, hour=12):
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def visit(c, day, amount):
    return Visit.objects.create(property=c.property, customer=c, occurred_at=local(day), amount=Decimal(amount))


def test_time_elapsed_in_local_days():
    week = targets.TargetPeriod("week", dt.date(2026, 3, 9))
    assert week.elapsed(dt.date(2026, 3, 11)) == Decimal("42.9")  # Mon–Wed: 3 of 7
    assert week.elapsed(dt.date(2026, 3, 8)) == Decimal("0.0")  # not begun
    assert week.elapsed(dt.date(2026, 4, 1)) == Decimal("100.0")  # finished
    assert MARCH.elapsed(TODAY) == Decimal("48.4")


@pytest.fixture
def known(world):
    """am1's four files: a (A→A), b (B→D), c (C→C), d (D→B) between the snapshot of 28 Feb
    and now; behaviour: a expected 10 Mar and absent, b expected 20 Mar (not yet due), c
    expected 7 Mar (last visit 25 Feb + 10 days) and came 6 Mar, d expected 20 Feb (before)."""
    w = world
    gov = Module.objects.get(property=w.h1, code="government")
    a = w.c_am1
    b = make_customer(w.h1, "B1", "乙", owner=w.am1)
    c = make_customer(w.h1, "C1", "丙", owner=w.am1, module=gov)
    d = make_customer(w.h1, "D1", "丁", owner=w.am1)
    run = GradingRun.objects.create(property=w.h1, as_of=dt.date(2026, 2, 28), window_days=60, a_share=20,
                                    b_share=50, trigger="command", finished_at=timezone.now())
    for cust, grade in ((a, "A"), (b, "B"), (c, "C"), (d, "D")):
        GradeEntry.objects.create(run=run, customer=cust, grade=grade)
    for cust, grade in ((a, "A"), (b, "D"), (c, "C"), (d, "B")):
        Customer.objects.filter(pk=cust.pk).update(grade=grade)
    visit(a, dt.date(2026, 2, 10), "300.00")  # previous period, within its first 15 days
    visit(c, dt.date(2026, 2, 25), "500.00")  # previous period, after its first 15 days
    visit(c, dt.date(2026, 3, 6), "600.00")
    Customer.objects.filter(pk=a.pk).update(expected_next_visit=dt.date(2026, 3, 10),
                                            last_visit_at=local(dt.date(2026, 2, 10)), usual_interval=28)
    Customer.objects.filter(pk=b.pk).update(expected_next_visit=dt.date(2026, 3, 20))
    Customer.objects.filter(pk=c.pk).update(expected_next_visit=dt.date(2026, 3, 16), usual_interval=10,
                                            last_visit_at=local(dt.date(2026, 3, 6)))
    Customer.objects.filter(pk=d.pk).update(expected_next_visit=dt.date(2026, 2, 20))
    targets.set_targets(w.sm, w.h1, w.am1, "month", MARCH.start, {"visits": 10, "revenue": "1000", "effective": 3})
    ModuleTarget.objects.create(module=gov, period_start=MARCH.start, period_end=MARCH.end, customers=2, visits=4,
                                amount=Decimal("1000"))
    ModuleTarget.objects.create(module=gov, period_start=dt.date(2026, 3, 2), period_end=dt.date(2026, 3, 8),
                                customers=1, visits=2, amount=Decimal("2000"))
    w.gov = gov
    return w


def _am1(data):
    return next(x for x in data["lines"] if x["member"].username == "am1")


def test_achieved_against_elapsed_flags_behind_schedule(known):
    data = nodes.node_analysis(known.gm, known.h1, MARCH, TODAY)
    line = _am1(data)
    assert data["elapsed"] == Decimal("48.4") and data["elapsed_days"] == 15
    assert line["achieved"]["visits"] == Decimal("10.0") and line["behind"]["visits"] is True
    assert line["achieved"]["revenue"] == Decimal("60.0") and line["behind"]["revenue"] is False
    assert line["achieved"]["effective"] == Decimal("100.0") and line["behind"]["effective"] is False
    assert line["behind"]["a_customers"] is False and line["behind"]["follow_ups"] is False  # no target / untracked
    assert data["teams"][0]["behind"]["visits"] is True and data["total"]["behind"]["visits"] is True


def test_incentive_one_effective_customers_kept_and_grown(known):
    k = _am1(nodes.node_analysis(known.gm, known.h1, MARCH, TODAY))["incentives"]["kept"]
    assert k == {"start": 3, "end": 3, "kept": 2, "lost": 1, "gained": 1, "change": 0}
    # Without a snapshot before the period the start is not known.
    feb = targets.TargetPeriod("month", dt.date(2026, 2, 1))
    k = _am1(nodes.node_analysis(known.gm, known.h1, feb, TODAY))["incentives"]["kept"]
    assert k["start"] is None and k["kept"] is None and k["end"] == 3  # February's end: the 28 Feb snapshot


def test_incentive_one_of_a_finished_period_uses_the_end_snapshot(known):
    end = GradingRun.objects.create(property=known.h1, as_of=dt.date(2026, 3, 31), window_days=60, a_share=20,
                                    b_share=50, trigger="command", finished_at=timezone.now())
    for cust, grade in ((known.c_am1, "D"), (Customer.objects.get(customer_code="C1"), "A")):
        GradeEntry.objects.create(run=end, customer=cust, grade=grade)
    k = _am1(nodes.node_analysis(known.gm, known.h1, MARCH, dt.date(2026, 4, 2)))["incentives"]["kept"]
    assert k == {"start": 3, "end": 1, "kept": 1, "lost": 2, "gained": 0, "change": -2}


def test_incentive_two_behaviour_matching_the_plan(known):
    p = _am1(nodes.node_analysis(known.gm, known.h1, MARCH, TODAY))["incentives"]["plan"]
    assert p == {"due": 2, "matched": 1, "share": Decimal("50.0")}
    # Later in the month b is due too, and has not come.
    p = _am1(nodes.node_analysis(known.gm, known.h1, MARCH, dt.date(2026, 3, 25)))["incentives"]["plan"]
    assert p == {"due": 3, "matched": 1, "share": Decimal("33.3")}
    # A visit after the expected day does not match it.
    visit(known.c_am1, dt.date(2026, 3, 12), "50.00")
    Customer.objects.filter(pk=known.c_am1.pk).update(last_visit_at=local(dt.date(2026, 3, 12)))
    p = _am1(nodes.node_analysis(known.gm, known.h1, MARCH, TODAY))["incentives"]["plan"]
    assert p == {"due": 2, "matched": 1, "share": Decimal("50.0")}  # a: 10 Feb + 28 days = 10 Mar, came 12 Mar


def test_incentive_three_mutual_value(known):
    data = nodes.node_analysis(known.gm, known.h1, MARCH, TODAY)
    v = _am1(data)["incentives"]["value"]
    # 600 ÷ 3 effective now; before: 1–15 February, 300 ÷ 3 effective at the 28 Feb snapshot.
    assert (v["revenue"], v["effective"], v["value"]) == (Decimal("600.00"), 3, Decimal("200.00"))
    assert (v["prev_revenue"], v["prev_effective"], v["prev_value"]) == (Decimal("300.00"), 3, Decimal("100.00"))
    assert v["change"] == Decimal("100.0") and data["previous_days"] == 15
    team = data["teams"][0]["incentives"]["value"]
    assert team["revenue"] == Decimal("600.00") and team["effective"] == 3  # am2's file is not graded


def test_modules_against_their_targets(known):
    data = nodes.node_analysis(known.gm, known.h1, MARCH, TODAY)
    gov = next(x for x in data["modules"] if x["module_id"] == known.gov.pk)
    assert gov["actual"] == {"customers": 1, "visits": 1, "revenue": Decimal("600.00")}
    assert gov["achieved"] == {"customers": Decimal("50.0"), "visits": Decimal("25.0"), "revenue": Decimal("60.0")}
    assert gov["behind"] == {"customers": False, "visits": True, "revenue": False}
    week = nodes.node_analysis(known.gm, known.h1, targets.TargetPeriod("week", dt.date(2026, 3, 2)), TODAY)
    gov = next(x for x in week["modules"] if x["module_id"] == known.gov.pk)
    assert gov["achieved"] == {"customers": Decimal("100.0"), "visits": Decimal("50.0"), "revenue": Decimal("30.0")}
    assert week["elapsed"] == Decimal("100.0") and gov["behind"]["revenue"] is True
    # Account managers read no module figures (REPORT).
    assert nodes.node_analysis(known.am1, known.h1, MARCH, TODAY)["modules"] is None


def test_who_reads_which_rows(known):
    rows = {r: [x["member"].username for x in nodes.node_analysis(getattr(known, r), known.h1, MARCH, TODAY)["lines"]]
            for r in ("gm", "sm", "am1", "am2")}
    assert sorted(rows["gm"]) == ["am1", "am2", "am3", "sm"] and sorted(rows["sm"]) == ["am1", "am2", "sm"]
    assert rows["am1"] == ["am1"] and rows["am2"] == ["am2"]


# ---- page and exports ----------------------------------------------------------------------

def test_nodes_page_draws_charts_with_few_queries(client, known, django_assert_max_num_queries):
    client.force_login(known.gm)
    with django_assert_max_num_queries(35):
        r = client.get(reverse("control:nodes") + "?property=H1&kind=month&start=2026-03-01")
    body = r.content.decode()
    assert r.status_code == 200
    for chart in ("chart-achieved", "chart-kept", "chart-plan", "chart-value", "chart-modules"):
        assert f'data-chart="{chart}"' in body and f'id="{chart}"' in body
    assert "reports/dashboard.js" in body and "<script>" not in body
    client.force_login(known.am1)
    r = client.get(reverse("control:nodes") + "?property=H1&kind=week")
    assert r.status_code == 200 and 'id="n-modules"' not in r.content.decode()


@pytest.mark.parametrize("role,status", [("gm", 200), ("sm", 200), ("am1", 200), ("desk", 403), ("admin", 403)])
def test_who_opens_the_nodes_page(client, world, role, status):
    client.force_login(getattr(world, role))
    assert client.get(reverse("control:nodes")).status_code == status


def _csv(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_exports(client, known):
    client.force_login(known.gm)
    q = "?property=H1&kind=month&start=2026-03-01"
    rows = _csv(client.get(reverse("control:nodes_export", args=["members", "csv"]) + q))
    assert len(rows) == 1 + 4 + 1 + 1  # header, four members, the team, the property
    am1 = next(r for r in rows if r[1] == "am1")
    assert "10" in am1 and "1000.00" in am1
    rows = _csv(client.get(reverse("control:nodes_export", args=["incentives", "csv"]) + q))
    am1 = next(r for r in rows if r[1] == "am1")
    k = _am1(nodes.node_analysis(known.gm, known.h1, MARCH))["incentives"]["kept"]  # the export's today
    assert am1[2:8] == [str(k[f]) for f in ("start", "end", "kept", "lost", "gained", "change")]
    r = client.get(reverse("control:nodes_export", args=["modules", "xlsx"]) + q)
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(reverse("control:nodes_export", args=["other", "csv"]) + q).status_code == 404
    assert client.get(reverse("control:nodes_export", args=["members", "pdf"]) + q).status_code == 404
    client.force_login(known.am1)
    assert client.get(reverse("control:nodes_export", args=["modules", "csv"]) + q).status_code == 404
    rows = _csv(client.get(reverse("control:nodes_export", args=["members", "csv"]) + q))
    assert [r[1] for r in rows[1:]] == ["am1"]
    client.force_login(known.desk)
    assert client.get(reverse("control:nodes_export", args=["members", "csv"]) + q).status_code == 403
