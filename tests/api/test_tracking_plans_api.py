"""R-7.8 and R-11.4 through the API: visit plans (create, lines, submit, decide), visit reports
(follow-up and commitments), opportunities (create, change, stage) and the forecast; 404 for
rows outside the rule, 403 for roles that may not, 409 for the state, 422 for bad input."""

import datetime as dt

import pytest
from django.urls import include, path
from django.utils import timezone

from tests.api.helpers import token_client
from yingke.api import root, tracking_plans
from yingke.tracking import pipeline, plans
from yingke.tracking.models import Commitment, FollowUp, Opportunity, VisitPlan
from yingke.visits.services import record_visit

if not any(r is tracking_plans.router for _prefix, r in root.api._routers):
    # Not registered in api/root.py yet: serve the router from an API of its own, built as root's.
    _api = root.YingkeAPI(title="test", version="test-plans", urls_namespace="api", auth=root.API_AUTH,
                          renderer=root.Utf8Renderer(), parser=root.JsonParser())
    root.install(_api)
    _api.add_router("", tracking_plans.router)
    urlpatterns = [path("api/", include((_api.urls[0], "api"), namespace="api"))]
    pytestmark = pytest.mark.urls(__name__)

PLANS, REPORTS, OPPS = "/api/tracking/visit-plans", "/api/tracking/visit-reports", "/api/tracking/opportunities"


def next_month(world):
    return plans.next_month(world.h1.local_today())


def new_plan(api, world, customer):
    m = next_month(world)
    r = api.post(PLANS, {"property": "H1", "month": m.strftime("%Y-%m"), "lines": [
        {"customer": customer.pk, "planned_on": m.replace(day=8).isoformat(), "purpose": "拜访"}]})
    assert r.status_code == 201, r.content
    return r.json()


def test_plan_create_submit_decide(world):
    am1, sm, am3 = token_client(world.am1), token_client(world.sm), token_client(world.am3)
    plan = new_plan(am1, world, world.c_am1)
    assert (plan["status"], plan["can_edit"], len(plan["lines"]), plan["lines"][0]["state"]) == (
        "draft", True, 1, "planned")
    assert am1.post(PLANS, {"property": "H1", "month": next_month(world).strftime("%Y-%m")}).status_code == 409
    line = plan["lines"][0]
    m = next_month(world)
    r = am1.put(f"{PLANS}/{plan['id']}", {"lines": [
        {"id": line["id"], "customer": world.c_am1.pk, "planned_on": m.replace(day=9).isoformat(), "purpose": "改期"},
        {"customer": world.c_pool.pk, "planned_on": m.replace(day=12).isoformat(), "purpose": "新客户"}]})
    assert r.status_code == 200 and [x["purpose"] for x in r.json()["lines"]] == ["改期", "新客户"]
    r = am1.put(f"{PLANS}/{plan['id']}", {"lines": [
        {"customer": world.c_am2.pk, "planned_on": m.isoformat(), "purpose": "x"}]})
    assert r.status_code == 422 and "lines.0.customer" in r.json()["errors"]
    assert sm.put(f"{PLANS}/{plan['id']}", {"lines": []}).status_code == 403
    assert am3.get(f"{PLANS}/{plan['id']}").status_code == 404
    r = am1.post(f"{PLANS}/{plan['id']}/submit")
    assert r.status_code == 200 and (r.json()["status"], r.json()["late"]) == ("submitted", False)
    assert am1.post(f"{PLANS}/{plan['id']}/submit").status_code == 409
    listing = sm.get(PLANS).json()
    assert listing["items"][0]["id"] == plan["id"] and listing["items"][0]["can_decide"] is True
    assert am1.post(f"{PLANS}/{plan['id']}/decision", {"approve": True}).status_code == 403
    assert token_client(world.am2).post(f"{PLANS}/{plan['id']}/decision", {"approve": True}).status_code == 404
    assert sm.post(f"{PLANS}/{plan['id']}/decision", {"approve": False}).status_code == 422
    assert sm.post(f"{PLANS}/{plan['id']}/decision", {"approve": "yes"}).status_code == 422
    r = sm.post(f"{PLANS}/{plan['id']}/decision", {"approve": True})
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["decided_by"]["id"] == world.sm.pk
    assert am1.put(f"{PLANS}/{plan['id']}", {"lines": []}).status_code == 409
    assert VisitPlan.objects.get().visits.count() == 2


def test_plan_bad_input(world):
    am1 = token_client(world.am1)
    for body in ({"month": "2026-13"}, {"month": "last"}, {"month": "2000-01"}, {"month": "2026-05", "x": 1},
                 {"month": next_month(world).strftime("%Y-%m"), "lines": [{"customer": "a"}]},
                 {"month": next_month(world).strftime("%Y-%m"), "lines": [
                     {"customer": world.c_am1.pk, "planned_on": "2026-02-30", "purpose": "x"}]}):
        assert am1.post(PLANS, body).status_code == 422, body
    assert token_client(world.desk).post(PLANS, {"month": next_month(world).strftime("%Y-%m")}).status_code == 403
    assert am1.post(PLANS, {"property": "H2", "month": next_month(world).strftime("%Y-%m")}).status_code == 404
    assert not VisitPlan.objects.exists()
    assert am1.get(f"{PLANS}/99999999999999999999").status_code in (404, 422)


def test_visit_report_logs_follow_up_and_commitments(world):
    am1 = token_client(world.am1)
    visited = world.h1.local_today() - dt.timedelta(days=4)
    r = am1.post(REPORTS, {"customer": world.c_am1.pk, "visited_on": visited.isoformat(), "purpose": "回访",
                           "outcome": "谈妥年会", "next_steps": "签合同", "promises": [
                               {"promised": "寄合同", "to_whom": "李总", "due_on": world.h1.local_today().isoformat()}]})
    assert r.status_code == 201, r.content
    report = r.json()
    assert report["late"] is True and report["follow_up"]["ordinal"] == 1
    assert [c["promised"] for c in report["commitments"]] == ["寄合同"]
    assert FollowUp.objects.get().channel == "visit" and Commitment.objects.get().visit_report_id == report["id"]
    assert am1.get(f"{REPORTS}/{report['id']}").json()["id"] == report["id"]
    assert token_client(world.am2).get(f"{REPORTS}/{report['id']}").status_code == 404
    assert am1.get(REPORTS, {"late": "true"}).json()["count"] == 1
    r = am1.post(REPORTS, {"customer": world.c_am2.pk, "visited_on": visited.isoformat(), "purpose": "x",
                           "outcome": "y"})
    assert r.status_code == 422 and "customer" in r.json()["errors"]
    future = (world.h1.local_today() + dt.timedelta(days=2)).isoformat()
    r = am1.post(REPORTS, {"customer": world.c_am1.pk, "visited_on": future, "purpose": "x", "outcome": "y"})
    assert r.status_code == 422 and "visited_on" in r.json()["errors"]
    r = am1.post(REPORTS, {"customer": world.c_am1.pk, "visited_on": visited.isoformat(), "purpose": "x",
                           "outcome": "y", "promises": [{"promised": "z", "due_on": "2001-01-01"}]})
    assert r.status_code == 422 and "promises.0.due_on" in r.json()["errors"]
    assert FollowUp.objects.count() == 1
    r = token_client(world.desk).post(REPORTS, {"customer": world.c_am1.pk, "visited_on": visited.isoformat(),
                                                "purpose": "x", "outcome": "y"})
    assert r.status_code == 403


def test_opportunities_and_forecast(world):
    am1, am2, gm = token_client(world.am1), token_client(world.am2), token_client(world.gm)
    expected = next_month(world).replace(day=15).isoformat()
    r = am1.post(OPPS, {"customer": world.c_am1.pk, "kind": "banquet", "title": "谢师宴", "amount": "20000",
                        "expected_on": expected})
    assert r.status_code == 201, r.content
    o = r.json()
    assert (o["property_code"], o["probability"], o["weighted"], o["owner"]["id"]) == ("H1", 10, "2000.00",
                                                                                       world.am1.pk)
    assert am2.get(f"{OPPS}/{o['id']}").status_code == 404
    assert am2.patch(f"{OPPS}/{o['id']}", {"amount": 1}).status_code == 404
    assert token_client(world.desk).patch(f"{OPPS}/{o['id']}", {"amount": 1}).status_code == 403
    r = am1.patch(f"{OPPS}/{o['id']}", {"amount": "25000.50", "probability": 40})
    assert r.status_code == 200 and (r.json()["amount"], r.json()["probability"]) == ("25000.50", 40)
    for bad in ({"amount": -1}, {"amount": "1e3"}, {"probability": 101}, {"title": None}, {"owner": world.am2.pk},
                {"stage": "won"}):
        assert am1.patch(f"{OPPS}/{o['id']}", bad).status_code == 422, bad
    assert am1.post(f"{OPPS}/{o['id']}/stage", {"stage": "lost"}).status_code == 422
    assert am1.post(f"{OPPS}/{o['id']}/stage", {"stage": "won", "expect": "proposal"}).status_code == 409
    visit = record_visit(world.gm, world.c_am1, occurred_at=timezone.now() - dt.timedelta(days=1), amount="25000")
    other = record_visit(world.gm, world.c_am2, occurred_at=timezone.now() - dt.timedelta(days=1), amount="9")
    r = am1.post(f"{OPPS}/{o['id']}/stage", {"stage": "won", "visits": [other.pk]})
    assert r.status_code == 422 and "visits" in r.json()["errors"]
    r = am1.post(f"{OPPS}/{o['id']}/stage", {"stage": "won", "visits": [visit.pk], "expect": "inquiry"})
    assert r.status_code == 200 and (r.json()["stage"], r.json()["visits"], r.json()["probability"]) == (
        "won", [visit.pk], 100)
    assert r.json()["closed_at"] is not None
    assert am1.post(OPPS, {"customer": world.c_am1.pk, "kind": "group", "title": "x", "amount": 1,
                           "expected_on": expected, "stage": "won"}).status_code == 422
    assert token_client(world.desk).post(OPPS, {"customer": world.c_am1.pk, "kind": "group", "title": "x",
                                                "amount": 1, "expected_on": expected}).status_code == 403
    r = am2.post(OPPS, {"customer": world.c_am2.pk, "kind": "corporate", "title": "协议", "amount": "10000",
                        "expected_on": expected, "stage": "negotiation"})
    assert r.status_code == 201 and r.json()["probability"] == 60
    month = next_month(world).strftime("%Y-%m")
    f = gm.get("/api/tracking/forecast", {"start": month, "months": 1}).json()
    assert f["months"] == [{"month": month, "open_count": 1, "open_amount": "10000.00", "weighted": "6000.00",
                            "won_count": 1, "won_amount": "25000.50", "forecast": "31000.50"}]
    f = am1.get("/api/tracking/forecast", {"start": month, "months": 1}).json()
    assert (f["months"][0]["forecast"], f["team_limited"]) == ("25000.50", True)
    assert am1.get("/api/tracking/forecast", {"months": 0}).status_code == 422
    assert am1.get("/api/tracking/forecast", {"property": "H2"}).status_code == 404
    assert token_client(world.desk).get("/api/tracking/forecast").status_code == 403
    listing = am1.get(OPPS).json()
    assert [i["id"] for i in listing["items"]] == [o["id"]]
    assert gm.get(OPPS, {"state": "open"}).json()["count"] == 1
    assert Opportunity.objects.count() == 2


def test_forecast_numbers_match_the_service(world):
    pipeline.create_opportunity(world.am1, world.h1, customer=world.c_am1, kind="wedding", title="婚宴",
                                amount="33333.33", expected_on=next_month(world), probability=33)
    f = token_client(world.gm).get("/api/tracking/forecast", {"start": next_month(world).strftime("%Y-%m"),
                                                              "months": 1}).json()
    assert f["months"][0]["weighted"] == "11000.00"
