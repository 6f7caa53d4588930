"""The tracking reports and marketing spend in the API: the same figures as the pages, the same
refusals, bad input 422 with nothing changed."""

import datetime as dt
import sys
import types
from decimal import Decimal

import pytest
from django.urls import clear_url_caches, path
from django.utils import timezone

from yingke.api import tracking_reports
from yingke.core.models import AuditEvent
from yingke.core.permissions import SYSTEM
from yingke.tracking import services
from yingke.tracking.models import SourceSpend
from yingke.visits.services import record_visit

_MOUNTED = {}


@pytest.fixture
def base(settings):
    """The API prefix serving tracking_reports.router: /api once registered in api/root.py, else a
    test API built like it (so that these tests run before the registration too)."""
    from django.urls import Resolver404, resolve

    from yingke.api import root

    try:
        registered = resolve("/api/tracking/reports/funnel").url_name == "get_funnel_report"
    except Resolver404:
        registered = False
    if registered:
        yield "/api"
        return
    if "urls" not in _MOUNTED:
        from yingke.api.auth import API_AUTH
        from yingke.api.errors import JsonParser, install

        api = root.YingkeAPI(title="tracking reports (test)", version="test-tracking", urls_namespace="api_tracking",
                             auth=API_AUTH, renderer=root.Utf8Renderer(), parser=JsonParser())
        install(api)
        api.add_router("", tracking_reports.router)
        from yingke import urls as main

        module = types.ModuleType("tests_tracking_api_urls")
        module.urlpatterns = [path("tapi/", api.urls), *main.urlpatterns]
        sys.modules[module.__name__] = module
        _MOUNTED["urls"] = module.__name__
    settings.ROOT_URLCONF = _MOUNTED["urls"]
    clear_url_caches()
    assert resolve("/tapi/tracking/reports/funnel").url_name == "get_funnel_report"
    yield "/tapi"
    clear_url_caches()


def ago(days):
    return timezone.now() - dt.timedelta(days=days)


@pytest.fixture
def data(world):
    c = world.c_am1
    for d in (50, 40, 30, 20):
        services.log_follow_up(world.gm, c, channel="phone", outcome="reached", summary="跟进", occurred_at=ago(d))
    record_visit(SYSTEM, c, occurred_at=ago(55), amount=Decimal("100"))
    record_visit(SYSTEM, c, occurred_at=ago(10), amount=Decimal("900"))
    record_visit(SYSTEM, c, occurred_at=ago(9), amount=Decimal("-50"))
    services.create_lead(world.gm, world.h1, name="甲", source="events", owner=world.am1)
    services.create_lead(world.gm, world.h1, name="乙", source="events", owner=world.am3)
    return world


def test_funnel_and_sources_in_the_api(api_as, base, data):
    w = data
    r = api_as(w.gm).get(f"{base}/tracking/reports/funnel", {"property": "H1"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["total"]["leads"] == 2 and body["stages"][0]["reached"] == 2
    r = api_as(w.sm).get(f"{base}/tracking/reports/funnel")
    assert r.json()["total"]["leads"] == 1 and r.json()["team_limited"] is True
    r = api_as(w.gm).get(f"{base}/tracking/reports/sources")
    events = next(x for x in r.json()["rows"] if x["key"] == "events")
    assert events["leads"] == 2 and events["spend"] == "0.00"


def test_ordinals_in_the_api(api_as, base, data):
    r = api_as(data.gm).get(f"{base}/tracking/reports/ordinals", {"from": (timezone.localdate() - dt.timedelta(days=700)).isoformat()})
    assert r.status_code == 200, r.content
    body = r.json()
    rev = {x["bucket"]: x for x in body["revenue"]}
    assert rev[0]["revenue"] == "100.00" and rev[4]["revenue"] == "850.00" and rev[4]["visits"] == 1
    assert body["after_fourth"] == pytest.approx(850 / 950, abs=1e-4)


@pytest.mark.parametrize("who,status", [("am1", 403), ("desk", 403), ("admin", 403)])
def test_report_endpoints_refuse_roles_without_reports(api_as, base, world, who, status):
    for report in ("funnel", "ordinals", "sources"):
        assert api_as(getattr(world, who)).get(f"{base}/tracking/reports/{report}").status_code == status


def test_report_endpoints_404_and_422(api_as, base, world):
    gm = api_as(world.gm)
    assert gm.get(f"{base}/tracking/reports/funnel", {"property": "H2"}).status_code == 404
    assert gm.get(f"{base}/tracking/reports/funnel", {"property": "NOPE"}).status_code == 404
    r = gm.get(f"{base}/tracking/reports/funnel", {"from": "2026-02-30"})
    assert r.status_code == 422 and "from" in r.json()["errors"]
    assert gm.get(f"{base}/tracking/reports/funnel", {"from": "2026-05-01", "to": "2026-01-01"}).status_code == 422
    assert gm.get(f"{base}/tracking/reports/funnel", {"from": "１"}).status_code == 422
    assert gm.get(f"{base}/tracking/reports/funnel/nope.csv").status_code == 404
    assert gm.get(f"{base}/tracking/reports/nope/stages.csv").status_code == 404


def test_report_exports_in_the_api(api_as, base, data):
    r = api_as(data.gm).get(f"{base}/tracking/reports/ordinals/revenue_source.csv")
    assert r.status_code == 200
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    assert "850.00" in text
    assert AuditEvent.objects.filter(action="export", target="tracking-ordinals-revenue_source").exists()
    r = api_as(data.sm).get(f"{base}/tracking/reports/sources/sources.xlsx")
    assert r.status_code == 200
    assert api_as(data.am1).get(f"{base}/tracking/reports/funnel/stages.csv").status_code == 403


def test_spend_is_set_and_listed_by_the_general_manager(api_as, base, world):
    gm = api_as(world.gm)
    r = gm.put(f"{base}/tracking/spend/marketing/2026-04", {"amount": "￥1,234.50", "note": "报纸广告"})
    assert r.status_code == 200, r.content
    assert r.json() == {"source": "marketing", "month": "2026-04", "amount": "1234.50", "note": "报纸广告",
                        "updated_by": world.gm.pk}
    assert gm.put(f"{base}/tracking/spend/marketing/2026-04", {"amount": 99}).json()["amount"] == "99.00"
    assert gm.put(f"{base}/tracking/spend/events/2026-04", {"amount": 12.5}).json()["amount"] == "12.50"
    r = gm.get(f"{base}/tracking/spend", {"year": 2026})
    assert [(x["source"], x["amount"]) for x in r.json()["items"]] == [("events", "12.50"), ("marketing", "99.00")]
    assert gm.get(f"{base}/tracking/spend", {"year": 2025}).json()["items"] == []


@pytest.mark.parametrize("source,month,body,field", [
    ("marketing", "2026-04", {"amount": -1}, "amount"),
    ("marketing", "2026-04", {"amount": "1.005"}, "amount"),
    ("marketing", "2026-04", {"amount": "9" * 30}, "amount"),
    ("marketing", "2026-04", {"amount": True}, None),
    ("marketing", "2026-04", {"amount": None}, None),
    ("marketing", "2026-04", {"amount": "1", "extra": 1}, None),
    ("marketing", "2026-4", {"amount": "1"}, "month"),
    ("marketing", "２０２６-04", {"amount": "1"}, "month"),
    ("radio", "2026-04", {"amount": "1"}, "source"),
    ("marketing", "2026-04", {"amount": "1", "note": "x" * 201}, None),
])
def test_bad_spend_is_422_and_changes_nothing(api_as, base, world, source, month, body, field):
    r = api_as(world.gm).put(f"{base}/tracking/spend/{source}/{month}", body)
    assert r.status_code == 422, r.content
    if field:
        assert field in r.json()["errors"]
    assert not SourceSpend.objects.exists()


@pytest.mark.parametrize("who,status", [("sm", 403), ("am1", 403), ("desk", 403)])
def test_spend_refuses_other_roles(api_as, base, world, who, status):
    client = api_as(getattr(world, who))
    assert client.put(f"{base}/tracking/spend/marketing/2026-04", {"amount": "1"}).status_code == status
    assert client.get(f"{base}/tracking/spend").status_code == status
    assert api_as(world.gm).put(f"{base}/tracking/spend/marketing/2026-04?property=H2",
                                {"amount": "1"}).status_code == 404
    assert not SourceSpend.objects.exists()


def test_operations_are_in_the_openapi_document(api_as, base, world):
    doc = api_as(world.gm).get(f"{base}/openapi.json").json()
    ops = {op["operationId"] for item in doc["paths"].values() for op in item.values()}
    assert {"yingke_api_tracking_reports_get_funnel_report", "yingke_api_tracking_reports_get_ordinals_report",
            "yingke_api_tracking_reports_get_sources_report", "yingke_api_tracking_reports_export_tracking_report_table",
            "yingke_api_tracking_reports_list_source_spend", "yingke_api_tracking_reports_set_source_spend"} <= ops
