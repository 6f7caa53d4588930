"""The segments API (R-5.1, R-5.2, R-9.1): modules and targets (read by the property's staff,
changed by who configures it), the module and churn reports (REPORT, a sales manager's team
only), lost customers through their files, the reason recorded by who may change the file."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.api.helpers import token_client
from yingke.customers.models import Module
from yingke.grading.models import GradingRun, Loss, LossReason, ModuleTarget
from yingke.visits.models import Visit


@pytest.fixture
def api(world):
    return {role: token_client(getattr(world, role)) for role in
            ("gm", "sm", "am1", "am2", "desk", "sup", "admin", "gm2")}


def test_modules_are_read_by_the_propertys_staff(world, api):
    r = api["am1"].get("/api/modules")
    assert r.status_code == 200
    items = r.json()["items"]
    assert [m["code"] for m in items][:2] == ["government", "soe"] and {m["property"] for m in items} == {"H1"}
    assert items[0]["natures"] == ["government"] and items[0]["occasions"].startswith("被宴请")
    assert api["gm2"].get("/api/modules", {"property": "H1"}).status_code == 404
    assert api["admin"].get("/api/modules").status_code == 200  # configures H1
    assert api["am1"].get("/api/modules", {"property": "H1", "active": "false"}).json()["items"] == []


@pytest.mark.parametrize("role,status", [("gm", 201), ("admin", 201), ("sm", 403), ("am1", 403), ("desk", 403),
                                         ("gm2", 404)])
def test_who_may_add_a_module(world, api, role, status):
    r = api[role].post("/api/modules", {"property": "H1", "code": "foreign", "name": "外企",
                                        "natures": ["foreign"], "occasions": "商务宴请"})
    assert r.status_code == status, r.content
    assert Module.objects.filter(code="foreign").exists() == (status == 201)


def test_change_a_module_and_bad_input(world, api):
    gov = Module.objects.get(property=world.h1, code="government")
    r = api["gm"].patch(f"/api/modules/{gov.pk}", {"is_active": False, "natures": ["government", "soe"]})
    assert r.status_code == 200 and r.json()["is_active"] is False and r.json()["natures"] == ["government", "soe"]
    assert api["gm"].patch(f"/api/modules/{gov.pk}", {"code": "soe"}).status_code == 409  # taken
    assert api["gm"].patch(f"/api/modules/{gov.pk}", {"natures": ["martian"]}).status_code == 422
    assert api["gm"].patch(f"/api/modules/{gov.pk}", {"name": None}).status_code == 422
    assert api["gm"].patch(f"/api/modules/{gov.pk}", {"colour": "red"}).status_code == 422
    assert api["gm"].patch(f"/api/modules/{gov.pk}", {"sort_order": True}).status_code == 422
    assert api["am1"].patch(f"/api/modules/{gov.pk}", {"name": "x"}).status_code == 403
    assert api["gm2"].patch(f"/api/modules/{gov.pk}", {"name": "x"}).status_code == 404
    assert api["gm"].patch("/api/modules/999999", {"name": "x"}).status_code == 404
    assert Module.objects.get(pk=gov.pk).name == "政府"


def test_targets_through_the_api(world, api):
    gov = Module.objects.get(property=world.h1, code="government")
    url = f"/api/modules/{gov.pk}/targets"
    r = api["gm"].post(url, {"period": "quarter", "start": "2026-11-05", "customers": 10, "visits": 30,
                             "amount": "120000.50"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["period_start"], body["period_end"], body["amount"]) == ("2026-10-01", "2026-12-31", "120000.50")
    assert api["gm"].post(url, {"period": "month", "start": "2026-12-01"}).status_code == 409  # overlaps
    assert api["gm"].post(url, {"period": "custom", "start": "2027-01-10", "end": "2027-01-01"}).status_code == 422
    assert api["gm"].post(url, {"start": "2027-01-01", "amount": "-1"}).status_code == 422
    assert api["sm"].get(url).status_code == 200  # reads the reports of H1
    assert api["am1"].get(url).status_code == 403
    assert api["sm"].post(url, {"start": "2027-01-01"}).status_code == 403
    assert api["gm2"].get(url).status_code == 404
    target = ModuleTarget.objects.get()
    r = api["gm"].patch(f"/api/module-targets/{target.pk}", {"customers": 12})
    assert r.status_code == 200 and r.json()["customers"] == 12
    r = api["gm"].patch(f"/api/module-targets/{target.pk}", {"end": "2027-01-31"})
    assert r.status_code == 200 and r.json()["period_end"] == "2027-01-31"
    assert api["gm2"].patch(f"/api/module-targets/{target.pk}", {"customers": 1}).status_code == 404
    assert api["am1"].patch(f"/api/module-targets/{target.pk}", {"customers": 1}).status_code == 403


def test_the_module_report(world, api):
    tz = ZoneInfo("Asia/Shanghai")
    gov = Module.objects.get(property=world.h1, code="government")
    for c in (world.c_am1, world.c_am3):
        c.module = gov
        c.save(update_fields=["module"])
    Visit.objects.create(property=world.h1, customer=world.c_am1, amount=Decimal("300"),
                         occurred_at=dt.datetime(2026, 10, 1, 0, 0, tzinfo=tz))
    Visit.objects.create(property=world.h1, customer=world.c_am3, amount=Decimal("100"),
                         occurred_at=dt.datetime(2026, 10, 31, 23, 59, tzinfo=tz))
    r = api["gm"].get("/api/reports/modules", {"period": "month", "start": "2026-10-15"})
    assert r.status_code == 200, r.content
    body = r.json()
    line = next(x for x in body["lines"] if x["code"] == "government")
    assert (line["customers"], line["visits"], line["revenue"], line["share"]) == (2, 2, "400.00", "100.0")
    assert body["totals"]["revenue"] == "400.00" and body["in_progress"] is False
    team = api["sm"].get("/api/reports/modules", {"period": "month", "start": "2026-10-15"}).json()
    assert team["team_limited"] is True and team["totals"]["revenue"] == "300.00"
    assert api["am1"].get("/api/reports/modules").status_code == 403
    assert api["admin"].get("/api/reports/modules").status_code == 403
    assert api["gm2"].get("/api/reports/modules", {"property": "H1"}).status_code == 404
    assert api["gm"].get("/api/reports/modules", {"period": "week"}).status_code == 422
    assert api["gm"].get("/api/reports/modules", {"start": "1999-01-01"}).status_code == 422
    assert api["gm"].get("/api/reports/modules", {"start": "2099-01-01"}).status_code == 422


@pytest.fixture
def losses(world):
    run = GradingRun.objects.create(property=world.h1, as_of=dt.date(2026, 11, 1), window_days=60, a_share=20,
                                    b_share=50, trigger="command")
    out = {}
    for key in ("c_am1", "c_am2", "c_pool"):
        c = getattr(world, key)
        out[key] = Loss.objects.create(customer=c, property=world.h1, run=run, lost_on=run.as_of,
                                       previous_grade="A", owner=c.owner)
    return out


def test_losses_are_listed_through_their_files(world, api, losses):
    def names(role, **query):
        r = api[role].get("/api/losses", query)
        assert r.status_code == 200, r.content
        return {item["customer"]["name"] for item in r.json()["items"]}

    assert names("am1") == {"张三", "李四"}
    assert names("sm") == {"张三", "单田芳", "李四"}
    assert names("desk") == {"张三", "单田芳", "李四"}
    assert names("admin") == set()
    assert names("gm2") == set()
    assert names("gm", state="explained") == set()
    assert names("gm", owner=world.am2.pk) == {"单田芳"}
    assert names("gm", no_module=True) == {"张三", "单田芳", "李四"}
    item = api["am1"].get("/api/losses", {"customer": world.c_am1.pk}).json()["items"][0]
    assert item["state"] == "open" and item["can_explain"] is True and item["owner"]["username"] == "am1"
    assert api["desk"].get("/api/losses").json()["items"][0]["can_explain"] is False
    assert api["gm"].get("/api/losses", {"state": "gone"}).status_code == 422
    assert api["gm"].get("/api/losses", {"lost_from": "2026-02-30"}).status_code == 422


def test_recording_the_reason_through_the_api(world, api, losses):
    reasons = {r.code: r.pk for r in LossReason.objects.filter(property=world.h1)}
    url = f"/api/losses/{losses['c_am1'].pk}/explain"
    assert api["am2"].post(url, {"reason": reasons["left"]}).status_code == 404
    assert api["desk"].post(url, {"reason": reasons["left"]}).status_code == 403
    assert api["am1"].post(url, {"reason": reasons["other"]}).status_code == 422  # details needed
    h2 = LossReason.objects.filter(property=world.h2).first().pk
    assert api["am1"].post(url, {"reason": h2}).status_code == 422
    assert api["am1"].post(url, {"reason": reasons["left"], "note": "x" * 501}).status_code == 422
    assert Loss.objects.get(pk=losses["c_am1"].pk).reason_id is None
    r = api["am1"].post(url, {"reason": reasons["other"], "note": "搬家了"})
    assert r.status_code == 200 and r.json()["state"] == "explained" and r.json()["note"] == "搬家了"
    assert r.json()["explained_by"]["username"] == "am1"
    assert api["gm"].get("/api/loss-reasons").json()["count"] == 6
    assert {x["property"] for x in api["gm2"].get("/api/loss-reasons").json()["items"]} == {"H2"}
    assert api["gm2"].get("/api/loss-reasons", {"property": "H1"}).status_code == 404


def test_the_churn_report_through_the_api(world, api, losses):
    reasons = {r.code: r for r in LossReason.objects.filter(property=world.h1)}
    from yingke.grading import churn

    churn.explain_loss(world.gm, losses["c_am1"], reasons["poached"], "")
    r = api["gm"].get("/api/reports/churn", {"from": "2026-11-01", "to": "2026-11-30"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["lost"] == 3 and body["start"] == "2026-11-01"
    assert {x["id"]: x["losses"] for x in body["by_reason"]} == {reasons["poached"].pk: 1, None: 2}
    assert api["sm"].get("/api/reports/churn", {"from": "2026-11-01", "to": "2026-11-30"}).json()["lost"] == 2
    assert api["gm"].get("/api/reports/churn", {"from": "2026-11-30", "to": "2026-11-01"}).status_code == 422
    assert api["am1"].get("/api/reports/churn").status_code == 403
    assert api["gm2"].get("/api/reports/churn", {"property": "H1"}).status_code == 404
