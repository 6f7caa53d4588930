"""The tracking reports (funnel, conversion and revenue by follow-up ordinal, lead sources against
spend) against small hand-made data, their pages and exports, and the spend service."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_customer
from yingke.core import periods
from yingke.core.models import AuditEvent
from yingke.core.permissions import SYSTEM
from yingke.tracking import reports, services, spend
from yingke.tracking.models import Lead, SourceSpend, Stage
from yingke.visits.services import record_visit, void_visit

NOW = None


def ago(days, hours=0):
    return timezone.now() - dt.timedelta(days=days, hours=hours)


def follow(actor, subject, when):
    return services.log_follow_up(actor, subject, channel="phone", outcome="reached", summary="谈了合作",
                                  occurred_at=when)


def visit(customer, when, amount):
    return record_visit(SYSTEM, customer, occurred_at=when, amount=Decimal(amount))


def lead(world, owner, source="referral", name="王五", **extra):
    data = {"name": name, "source": source, "owner": owner}
    if source == "referral":
        data["referrer"] = world.c_am1
    data.update(extra)
    return services.create_lead(world.gm, world.h1, **data)


def year(world):
    today = world.h1.local_today()
    return periods.Period(today - dt.timedelta(days=364), today)


# -- funnel --------------------------------------------------------------------------------------

def test_funnel_counts_each_lead_up_to_the_furthest_stage_it_reached(world):
    a = lead(world, world.am1, name="甲")  # stays a target
    b = lead(world, world.am1, name="乙", source="marketing")
    services.move_stage(world.gm, b, Stage.FINE)
    services.drop_lead(world.gm, b, "预算不够")  # dropped at fine selection: counts up to there
    c = lead(world, world.am2, name="丙", mobile="13800000001")
    services.move_stage(world.gm, c, Stage.PLAN)
    services.convert(world.gm, c)
    assert Lead.objects.get(pk=a.pk).reached == Stage.TARGET

    d = reports.funnel(world.gm, world.h1, year(world))
    reached = [s["reached"] for s in d["stages"]]
    assert reached == [3, 2, 2, 2, 1, 1, 1]
    assert d["total"]["dropped"] == 1
    assert d["total"]["to_customer"] == pytest.approx(1 / 3, abs=1e-4)
    assert d["stages"][1]["step_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert d["stages"][4]["step_rate"] == 0.5
    by_source = {r["key"]: r for r in d["by_source"]}
    assert (by_source["referral"]["leads"], by_source["referral"]["customers"]) == (2, 1)
    assert (by_source["marketing"]["s4"], by_source["marketing"]["s5"]) == (1, 0)
    assert by_source["events"]["leads"] == 0 and by_source["events"]["to_customer"] is None
    by_owner = {r["key"]: r for r in d["by_owner"]}
    assert by_owner[world.am1.pk]["leads"] == 2 and by_owner[world.am2.pk]["customers"] == 1


def test_funnel_counts_only_leads_created_in_the_period(world):
    old = lead(world, world.am1, name="旧")
    Lead.objects.filter(pk=old.pk).update(created_at=ago(400))
    lead(world, world.am1, name="新")
    assert reports.funnel(world.gm, world.h1, year(world))["total"]["leads"] == 1


def test_a_sales_manager_sees_the_leads_of_the_team_only(world):
    lead(world, world.am1, name="甲")
    lead(world, world.am2, name="乙")
    lead(world, world.am3, name="丙")  # outside the team
    lead(world, None, name="丁")  # the pool
    assert reports.funnel(world.gm, world.h1, year(world))["total"]["leads"] == 4
    d = reports.funnel(world.sm, world.h1, year(world))
    assert d["team_limited"] and d["total"]["leads"] == 2
    assert {r["key"] for r in d["by_owner"]} == {world.am1.pk, world.am2.pk}


@pytest.mark.parametrize("who", ["am1", "desk", "sup", "admin"])
def test_roles_without_reports_are_refused(world, who):
    user = getattr(world, who)
    for report in ("funnel", "ordinals", "sources"):
        with pytest.raises(PermissionDenied):
            reports.REPORTS[report](user, world.h1, year(world))


# -- ordinals ------------------------------------------------------------------------------------

@pytest.fixture
def followed(world):
    """c_am1 (am1's): a visit before any follow-up, one after each of four follow-ups, one at the
    very instant of the fourth, a refund and a voided visit after the fourth."""
    c = world.c_am1
    fu = [ago(50), ago(40), ago(30), ago(20)]
    for when in fu:
        follow(world.gm, c, when)
    visit(c, ago(55), "100")  # 0: found, before any follow-up
    visit(c, ago(45), "200")  # after the 1st
    visit(c, ago(35), "300")  # after the 2nd
    visit(c, ago(25), "400")  # after the 3rd
    visit(c, fu[3], "50")  # at the instant of the 4th: not after it
    visit(c, ago(15), "1000")  # after the 4th
    visit(c, ago(14), "-100")  # a refund after the 4th: lowers revenue, not a visit
    void_visit(world.gm, visit(c, ago(10), "5000"), "录错了")
    return c


def test_revenue_is_attributed_to_the_follow_ups_before_each_visit(world, followed):
    d = reports.ordinals(world.gm, world.h1, year(world))
    rev = {r["bucket"]: r for r in d["revenue"]}
    assert [rev[b]["revenue"] for b in range(5)] == [Decimal("100.00"), Decimal("200.00"), Decimal("300.00"),
                                                      Decimal("450.00"), Decimal("900.00")]
    assert [rev[b]["visits"] for b in range(5)] == [1, 1, 1, 2, 1]
    assert d["revenue_total"] == Decimal("1950.00")
    assert d["after_fourth"] == pytest.approx(900 / 1950, abs=1e-4)
    assert rev[4]["seed_share"] == 0.8
    assert "80 %" in d["comparison"] and "46.2 %" in d["comparison"]


def test_revenue_by_ordinal_per_source_and_account_manager(world, followed):
    # a lead converted into c_am2's file, and a file with follow-ups but no lead
    ref = lead(world, world.am2, name="单田芳")
    services.convert(world.gm, ref, customer=world.c_am2)
    visit(world.c_am2, ago(3), "700")  # no follow-up of c_am2 before it
    d = reports.ordinals(world.gm, world.h1, year(world))
    by_source = {r["key"]: r for r in d["revenue_by_source"]}
    assert by_source["referral"]["b0"] == Decimal("700.00") and by_source["referral"]["total"] == Decimal("700.00")
    assert by_source[reports.NO_LEAD]["b4"] == Decimal("900.00")
    assert by_source[reports.NO_LEAD]["total"] == Decimal("1950.00")
    by_owner = {r["key"]: r for r in d["revenue_by_owner"]}
    assert by_owner[world.am1.pk]["top_share"] == pytest.approx(900 / 1950, abs=1e-4)
    assert by_owner[world.am2.pk]["b0"] == Decimal("700.00")


def test_files_without_follow_ups_or_a_lead_are_not_in_the_revenue(world, followed):
    visit(world.c_am3, ago(5), "9999")  # am3's regular: never followed up, not from a lead
    assert reports.ordinals(world.gm, world.h1, year(world))["revenue_total"] == Decimal("1950.00")


def test_conversions_by_follow_ups_before_the_conversion(world):
    none = lead(world, world.am1, name="零", mobile="13800000010")
    four = lead(world, world.am1, name="四", mobile="13800000014", source="events")
    six = lead(world, world.am2, name="六", mobile="13800000016", source="events")
    for i in range(4):
        follow(world.gm, four, ago(30 - i))
    for i in range(6):
        follow(world.gm, six, ago(30 - i))
    for x in (none, four, six):
        services.convert(world.gm, x)
    follow(world.gm, Lead.objects.get(pk=four.pk).customer, ago(0, 0))  # after the conversion: not counted
    d = reports.ordinals(world.gm, world.h1, year(world))
    assert [r["leads"] for r in d["conversions"]] == [1, 0, 0, 0, 1, 1]
    assert d["converted"] == 3
    events = next(r for r in d["conversion_by_source"] if r["key"] == "events")
    assert (events["b4"], events["b5"], events["total"]) == (1, 1, 2)
    by_owner = {r["key"]: r for r in d["conversion_by_owner"]}
    assert by_owner[world.am1.pk]["cells"] == [1, 0, 0, 0, 1, 0]


def test_a_conversion_into_an_existing_file_counts_the_files_follow_ups_too(world):
    follow(world.gm, world.c_am2, ago(40))
    follow(world.gm, world.c_am2, ago(39))
    x = lead(world, world.am2, name="单田芳")
    follow(world.gm, x, ago(20))
    services.convert(world.gm, x, customer=world.c_am2)
    assert [r["leads"] for r in reports.ordinals(world.gm, world.h1, year(world))["conversions"]][3] == 1


def test_ordinals_for_a_sales_manager_leave_other_teams_out(world, followed):
    follow(world.gm, world.c_am3, ago(9))
    visit(world.c_am3, ago(8), "3000")  # am3 is outside sm's team
    gm = reports.ordinals(world.gm, world.h1, year(world))
    sm = reports.ordinals(world.sm, world.h1, year(world))
    assert gm["revenue_total"] == Decimal("4950.00")
    assert sm["revenue_total"] == Decimal("1950.00")
    assert world.am3.pk not in {r["key"] for r in sm["revenue_by_owner"]}


# -- lead sources against spend ------------------------------------------------------------------

def test_sources_set_spend_against_leads_customers_and_their_revenue(world):
    today = world.h1.local_today()
    spend.set_spend(world.gm, world.h1, "referral", f"{today:%Y-%m}", "￥1,000.00")
    spend.set_spend(world.gm, world.h1, "referral", "2001-01", "777")  # outside the period
    lead(world, world.am1, name="甲")
    won = lead(world, world.am2, name="单田芳")
    visit(world.c_am2, ago(20), "300")  # before the conversion: not the won customer's revenue
    services.convert(world.gm, won, customer=world.c_am2)
    Lead.objects.filter(pk=won.pk).update(converted_at=ago(10))
    visit(world.c_am2, ago(5), "500")
    void_visit(world.gm, visit(world.c_am2, ago(4), "800"), "录错了")
    d = reports.sources(world.gm, world.h1, year(world))
    r = next(x for x in d["rows"] if x["key"] == "referral")
    assert (r["spend"], r["leads"], r["customers"], r["revenue"]) == (Decimal("1000.00"), 2, 1, Decimal("500.00"))
    assert (r["cost_per_lead"], r["cost_per_customer"], r["return"]) == (Decimal("500.00"), Decimal("1000.00"), 0.5)
    other = next(x for x in d["rows"] if x["key"] == "events")
    assert other["spend"] == Decimal("0.00") and other["cost_per_lead"] is None and other["return"] is None
    assert d["total"]["leads"] == 2 and d["total"]["spend"] == Decimal("1000.00")


def test_a_sales_manager_sees_no_property_spend(world):
    spend.set_spend(world.gm, world.h1, "marketing", f"{world.h1.local_today():%Y-%m}", "500")
    lead(world, world.am1, name="甲", source="marketing")
    lead(world, world.am3, name="乙", source="marketing")
    d = reports.sources(world.sm, world.h1, year(world))
    r = next(x for x in d["rows"] if x["key"] == "marketing")
    assert d["team_limited"] and r["spend"] is None and r["cost_per_lead"] is None and r["leads"] == 1


# -- spend service -------------------------------------------------------------------------------

def test_set_spend_parses_money_text_replaces_and_audits(world):
    row = spend.set_spend(world.gm, world.h1, "events", "2026-03", "￥1,234.50", "店庆")
    assert (row.amount, row.month, row.note) == (Decimal("1234.50"), dt.date(2026, 3, 1), "店庆")
    row = spend.set_spend(world.gm, world.h1, "events", "2026-03-15", "１２８．００")
    assert SourceSpend.objects.filter(property=world.h1).count() == 1 and row.amount == Decimal("128.00")
    audits = AuditEvent.objects.filter(action="source_spend").order_by("id")
    assert audits.count() == 2 and audits.last().details["before"]["amount"] == "1234.50"


@pytest.mark.parametrize("field,value", [
    ("amount", "-5"), ("amount", "1.234"), ("amount", "abc"), ("amount", ""), ("amount", "1" * 40),
    ("amount", True), ("month", "2026-13"), ("month", "１９９９-01"), ("month", "1999-01"), ("source", "tv"),
])
def test_bad_spend_is_refused_and_nothing_changes(world, field, value):
    data = {"source": "events", "month": "2026-03", "amount": "100"}
    data[field] = value
    with pytest.raises(ValidationError) as e:
        spend.set_spend(world.gm, world.h1, data["source"], data["month"], data["amount"])
    assert field in e.value.message_dict
    assert not SourceSpend.objects.exists()


@pytest.mark.parametrize("who", ["sm", "am1", "desk"])
def test_only_the_general_manager_sets_spend(world, who):
    with pytest.raises(PermissionDenied):
        spend.set_spend(getattr(world, who), world.h1, "events", "2026-03", "100")
    with pytest.raises(PermissionDenied):
        spend.set_spend(world.gm2, world.h1, "events", "2026-03", "100")


# -- pages and exports ---------------------------------------------------------------------------

def client_for(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.parametrize("name", ["funnel", "ordinals", "sources"])
def test_report_pages_draw_real_charts(world, followed, name):
    lead(world, world.am1)
    r = client_for(world.gm).get(reverse(f"tracking:{name}"))
    assert r.status_code == 200
    body = r.content.decode()
    assert 'data-chart="chart-' in body and 'type="application/json"' in body
    assert "reports/dashboard.js" in body and "echarts.min.js" in body
    assert "<script>" not in body and " style=" not in body


@pytest.mark.parametrize("who,status", [("am1", 403), ("desk", 403), ("admin", 403), ("gm2", 404)])
def test_report_pages_refuse_other_roles(world, who, status):
    r = client_for(getattr(world, who)).get(reverse("tracking:funnel") + "?property=H1")
    assert r.status_code == status


def test_report_page_with_a_bad_period_says_so(world):
    r = client_for(world.gm).get(reverse("tracking:ordinals"), {"from": "２０２６-01-01", "to": "x"})
    assert r.status_code == 200 and 'role="alert"' in r.content.decode()


def test_ordinal_export_writes_the_revenue_table(world, followed):
    url = reverse("tracking:report_export", args=["ordinals", "revenue", "csv"])
    r = client_for(world.gm).get(url)
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 6 and rows[5][2] == "900.00"
    assert AuditEvent.objects.filter(action="export", target="tracking-ordinals-revenue").exists()


@pytest.mark.parametrize("report,table", [(r, t) for r, ts in reports.TABLE_NAMES.items() for t in ts])
def test_every_table_exports_to_xlsx(world, followed, report, table):
    r = client_for(world.sm).get(reverse("tracking:report_export", args=[report, table, "xlsx"]))
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")


def test_exports_refuse_and_404(world):
    assert client_for(world.am1).get(reverse("tracking:report_export", args=["funnel", "stages", "csv"])).status_code \
        == 403
    gm = client_for(world.gm)
    assert gm.get(reverse("tracking:report_export", args=["funnel", "nope", "csv"])).status_code == 404
    assert gm.get(reverse("tracking:report_export", args=["funnel", "stages", "pdf"])).status_code == 404
    r = gm.get(reverse("tracking:report_export", args=["funnel", "stages", "csv"]), {"from": "bad"})
    assert r.status_code == 302


def test_spend_page_saves_and_shows_errors(world):
    gm = client_for(world.gm)
    url = reverse("tracking:spend")
    assert gm.get(url).status_code == 200
    r = gm.post(url, {"property": "H1", "source": "marketing", "month": "2026-02", "amount": "￥2,000.50", "note": ""})
    assert r.status_code == 302
    assert SourceSpend.objects.get().amount == Decimal("2000.50")
    r = gm.post(url, {"property": "H1", "source": "marketing", "month": "2026-02", "amount": "-1"})
    assert r.status_code == 200 and 'role="alert"' in r.content.decode()
    assert SourceSpend.objects.get().amount == Decimal("2000.50")
    page = gm.get(url, {"year": "2026"}).content.decode()
    assert "¥2,000.50" in page
    assert client_for(world.sm).get(url).status_code == 403
    assert client_for(world.sm).post(url, {"source": "marketing", "month": "2026-02", "amount": "1"}).status_code \
        == 403


def test_spend_cell_links_prefill_the_form(world):
    r = client_for(world.gm).get(reverse("tracking:spend"), {"month": "2026-05", "source": "events", "year": "x"})
    body = r.content.decode()
    assert r.status_code == 200 and 'value="2026-05"' in body and 'value="events" selected' in body


def test_a_file_made_by_hand_is_not_a_lead(world):
    """A file opened by hand has no lead: its revenue goes to "no lead" once followed up."""
    c = make_customer(world.h1, "C009", "赵六", owner=world.am1)
    follow(world.gm, c, ago(3))
    visit(c, ago(2), "60")
    d = reports.ordinals(world.gm, world.h1, year(world))
    assert next(r for r in d["revenue_by_source"] if r["key"] == reports.NO_LEAD)["b1"] == Decimal("60.00")


def test_demo_data_fills_every_report_and_is_made_once(world):
    from yingke.tracking.demo import add_demo

    visit(world.c_am1, ago(100), "500")
    for n in range(4):  # seven people with an account manager: a converted lead links to each (the demo's
        make_customer(world.h1, f"D{n}", f"演示{n}", owner=world.am1)  # customer count stays as asked)
    made = add_demo(world.h1)
    assert made == 7 * 9 and add_demo(world.h1) == 0
    assert set(Lead.objects.filter(property=world.h1).values_list("source", flat=True)) == set(
        reports.Source.values)
    f = reports.funnel(world.gm, world.h1, year(world))
    assert all(s["reached"] for s in f["stages"]) and f["total"]["dropped"] == 14
    o = reports.ordinals(world.gm, world.h1, year(world))
    assert o["converted"] == 7 and o["revenue_total"] > 0
    s = reports.sources(world.gm, world.h1, year(world))
    assert s["total"]["spend"] > 0 and s["total"]["customers"] == 7
