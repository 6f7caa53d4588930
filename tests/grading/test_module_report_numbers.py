"""R-5.2: the module contribution report, against numbers worked out by hand: local days of
the property's time zone (visits at 00:00 and 23:59:59 on the period's edges), voided visits
nowhere, refunds lowering revenue but not counting as visits, the previous period, the
target, a sales manager's team only, bad input, exports."""

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from yingke.customers.models import Module
from yingke.grading import segments
from yingke.visits.models import Visit

TZ = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 27)


def at(y, m, d, hh=12, mm=0, ss=0):
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def data(world):
    w = world
    gov = Module.objects.get(property=w.h1, code="government")
    private = Module.objects.get(property=w.h1, code="private")
    for c, m in ((w.c_am1, gov), (w.c_am2, gov), (w.c_am3, private)):
        c.module = m
        c.save(update_fields=["module"])

    def visit(c, when, amount, **kw):
        return Visit.objects.create(property=c.property, customer=c, occurred_at=when, amount=Decimal(amount), **kw)

    visit(w.c_am1, at(2026, 10, 1, 0, 0), "100")  # first instant of October (16:00 UTC on 30 Sep)
    visit(w.c_am1, at(2026, 10, 31, 23, 59, 59), "200")  # last second of October
    visit(w.c_am1, at(2026, 11, 1, 0, 0), "999")  # November
    visit(w.c_am1, at(2026, 9, 30, 23, 59), "50")  # September (the previous period)
    visit(w.c_am2, at(2026, 10, 10), "300")
    visit(w.c_am2, at(2026, 10, 11), "-100")  # a refund
    visit(w.c_am2, at(2026, 10, 12), "1000", voided_at=at(2026, 10, 13))  # voided
    visit(w.c_am3, at(2026, 10, 5), "400")
    visit(w.c_am3, at(2026, 9, 5), "-20")  # a refund alone in September
    visit(w.c_pool, at(2026, 10, 20), "100")
    visit(w.c_h2, at(2026, 10, 20), "5000")  # another property
    w.gov, w.private = gov, private
    return w


def lines(report):
    return {line["code"] or "-": line for line in report["lines"]}


def test_a_finished_month_against_the_previous_month_by_hand(data):
    w = data
    segments.create_target(w.gm, w.gov, period="month", start=dt.date(2026, 10, 1), customers=4, visits=6,
                           amount=Decimal("1000"))
    report = segments.module_report(w.gm, w.h1, "month", dt.date(2026, 10, 15), today=TODAY)
    p = report["period"]
    assert (p.start, p.end, p.previous_start, p.previous_end, p.in_progress) == (
        dt.date(2026, 10, 1), dt.date(2026, 10, 31), dt.date(2026, 9, 1), dt.date(2026, 9, 30), False)
    by = lines(report)
    assert set(by) == {"government", "soe", "institution", "private", "out_of_town", "family", "-"}
    gov, private, none = by["government"], by["private"], by["-"]
    assert (gov["customers"], gov["visits"], gov["revenue"]) == (2, 3, Decimal("500.00"))
    assert (private["customers"], private["visits"], private["revenue"]) == (1, 1, Decimal("400.00"))
    assert (none["customers"], none["visits"], none["revenue"]) == (1, 1, Decimal("100.00"))
    assert (gov["share"], private["share"], none["share"]) == (Decimal("50.0"), Decimal("40.0"), Decimal("10.0"))
    assert (gov["prev_customers"], gov["prev_visits"], gov["prev_revenue"]) == (1, 1, Decimal("50.00"))
    assert (private["prev_customers"], private["prev_visits"], private["prev_revenue"]) == (0, 0, Decimal("-20.00"))
    assert (gov["revenue_change"], gov["revenue_change_pct"]) == (Decimal("450.00"), Decimal("900.0"))
    assert (gov["customers_change"], gov["customers_change_pct"]) == (1, Decimal("100.0"))
    assert (private["customers_change"], private["customers_change_pct"]) == (1, None)  # nothing before
    assert by["soe"]["customers"] == 0 and by["soe"]["share"] == Decimal("0.0")
    assert gov["target"].amount == Decimal("1000.00")
    assert (gov["target_customers_pct"], gov["target_visits_pct"], gov["target_revenue_pct"]) == (
        Decimal("50.0"), Decimal("50.0"), Decimal("50.0"))
    assert private["target"] is None
    t = report["totals"]
    assert (t["customers"], t["visits"], t["revenue"], t["prev_revenue"]) == (4, 5, Decimal("1000.00"),
                                                                               Decimal("30.00"))


def test_a_month_in_progress_is_compared_with_as_many_days_before(data):
    report = segments.module_report(data.gm, data.h1, "month", None, today=dt.date(2026, 11, 10))
    p = report["period"]
    assert (p.start, p.end, p.previous_start, p.previous_end, p.in_progress) == (
        dt.date(2026, 11, 1), dt.date(2026, 11, 10), dt.date(2026, 10, 1), dt.date(2026, 10, 10), True)
    t = report["totals"]
    # November so far: c_am1's 999 at 00:00 on the 1st; 1–10 October: 100 + 400 + 300 (the refund is on the 11th)
    assert (t["revenue"], t["visits"], t["customers"]) == (Decimal("999.00"), 1, 1)
    assert (t["prev_revenue"], t["prev_visits"], t["prev_customers"]) == (Decimal("800.00"), 3, 3)


def test_period_bounds_of_quarters_years_and_short_months():
    assert segments.period_bounds("quarter", dt.date(2026, 11, 27)) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert segments.period_bounds("year", dt.date(2024, 2, 29)) == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    p = segments.make_period("month", None, dt.date(2026, 3, 31))
    assert (p.previous_start, p.previous_end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))  # capped at Feb's end
    p = segments.make_period("quarter", dt.date(2026, 1, 5), dt.date(2026, 11, 27))
    assert (p.start, p.end, p.previous_start, p.previous_end) == (
        dt.date(2026, 1, 1), dt.date(2026, 3, 31), dt.date(2025, 10, 1), dt.date(2025, 12, 31))


def test_a_sales_manager_sees_their_teams_customers_only(data):
    report = segments.module_report(data.sm, data.h1, "month", dt.date(2026, 10, 1), today=TODAY)
    by = lines(report)
    assert report["team_limited"] is True
    assert "-" not in by  # the pool's customer is not the team's
    assert (by["government"]["revenue"], by["government"]["share"]) == (Decimal("500.00"), Decimal("100.0"))
    assert by["private"]["revenue"] == Decimal("0.00")  # am3 is not in the team
    assert report["totals"]["revenue"] == Decimal("500.00")


@pytest.mark.parametrize("role,status", [("gm", 200), ("sm", 200), ("am1", 403), ("desk", 403), ("sup", 403),
                                         ("admin", 403), ("gm2", 422)])
def test_who_reads_the_report(data, role, status):
    r = client_for(getattr(data, role)).get("/grading/modules/report/", {"property": "H1", "period": "month",
                                                                          "start": "2026-10-15"})
    assert r.status_code == status


def test_the_page_shows_the_numbers_in_few_queries(data, django_assert_max_num_queries):
    client = client_for(data.gm)
    with django_assert_max_num_queries(15):
        r = client.get("/grading/modules/report/", {"period": "month", "start": "2026-10-15"})
    text = r.content.decode()
    assert r.status_code == 200
    assert "500.00" in text and "政府" in text and "50.0 %" in text


@pytest.mark.parametrize("query", [{"period": "week"}, {"start": "2026-13-01"}, {"start": "1800-01-01"},
                                   {"start": "2999-01-01"}, {"start": "\x00"}, {"period": "month", "start": "2099-01-01"}])
def test_bad_input_is_a_clear_422(data, query):
    r = client_for(data.gm).get("/grading/modules/report/", query)
    assert r.status_code == 422
    assert 'role="alert"' in r.content.decode()


def test_an_unknown_property_is_not_found(data):
    assert client_for(data.gm).get("/grading/modules/report/", {"property": "ZZ"}).status_code == 422
    assert client_for(data.gm2).get("/grading/modules/report/", {"property": "H1"}).status_code == 422


def test_exports_carry_the_same_numbers(data):
    client = client_for(data.gm)
    r = client.get("/grading/modules/report/export.csv", {"period": "month", "start": "2026-10-15"})
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    gov = next(row for row in rows if row[0] == "政府")
    assert gov[1:5] == ["2", "3", "500.00", "50.0"]
    assert rows[-1][3] == "1000.00"
    x = client.get("/grading/modules/report/export.xlsx", {"period": "month", "start": "2026-10-15"})
    assert x.status_code == 200 and x["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client_for(data.am1).get("/grading/modules/report/export.csv").status_code == 403
    assert client.get("/grading/modules/report/export.pdf").status_code == 404
