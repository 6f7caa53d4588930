"""R-3.3: visits and stays through the API — list, record, correct, void, history;
404 for files the caller may not see, 403 for roles that may not, 422/409 for bad input."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from tests.api.helpers import token_client
from yingke.visits.models import Visit


def yesterday(hour=19):
    day = timezone.localdate() - dt.timedelta(days=1)
    return f"{day.isoformat()}T{hour:02d}:30:00"


def test_record_list_correct_void_and_history(world):
    api = token_client(world.am1)
    c = world.c_am1
    r = api.post(f"/api/customers/{c.pk}/visits", {"occurred_at": yesterday(), "amount": "1288.50", "outlet": "CN",
                                                   "covers": 6, "doc_no": "POS-9", "occasion": "business"})
    assert r.status_code == 201, r.content
    v = r.json()
    assert (v["property"], v["outlet"]["name"], v["amount"], v["is_refund"], v["can_amend"]) == (
        "H1", "中餐厅", "1288.50", False, True)
    arrival = timezone.localdate() - dt.timedelta(days=4)
    r = api.post(f"/api/customers/{c.pk}/visits", {"amount": -88, "arrival": arrival.isoformat(),
                                                   "departure": (arrival + dt.timedelta(days=2)).isoformat(),
                                                   "room_type": "豪华大床房", "rate": 680, "channel": "携程"})
    assert r.status_code == 201, r.content
    stay = r.json()
    assert (stay["is_stay"], stay["nights"], stay["is_refund"]) == (True, 2, True)

    r = api.patch(f"/api/visits/{v['id']}", {"amount": "1300", "table_no": "A8"})
    assert r.status_code == 200 and r.json()["amount"] == "1300.00"
    r = api.post(f"/api/visits/{stay['id']}/void", {"reason": "录错了"})
    assert r.status_code == 200 and r.json()["voided"] and r.json()["voided_by"] == world.am1.label

    listing = api.get(f"/api/customers/{c.pk}/visits").json()
    assert listing["count"] == 2
    assert [i["voided"] for i in listing["items"]] == [False, True]
    history = api.get(f"/api/visits/{v['id']}/history", None, **{"Accept-Language": "en"}).json()["items"]
    assert [h["action"] for h in history] == ["changed", "changed", "created"]
    assert {h["field"] for h in history if h["action"] == "changed"} >= {"amount (yuan)"}
    customer = api.get(f"/api/customers/{c.pk}").json()
    assert (customer["visit_count"], customer["total_spend"]) == (1, "1300.00")


def test_bad_input_is_422_and_a_known_document_is_409(world):
    api = token_client(world.gm)
    base = f"/api/customers/{world.c_am1.pk}/visits"
    assert api.post(base, {"occurred_at": yesterday(), "amount": "1.234"}).status_code == 422
    assert api.post(base, {"occurred_at": yesterday()}).status_code == 422
    r = api.post(base, {"occurred_at": yesterday(), "amount": 1, "outlet": "MAIN"})  # H2's outlet
    assert r.status_code == 422 and "outlet" in r.json()["errors"]
    r = api.post(base, {"amount": 1, "arrival": "2026-02-30", "departure": "2026-03-01"})
    assert r.status_code == 422
    r = api.post(base, {"occurred_at": yesterday(), "amount": 1, "property": "H2"})
    assert r.status_code == 422 and "property" in r.json()["errors"]
    assert api.post(base, {"occurred_at": yesterday(), "amount": 1, "doc_no": "X1"}).status_code == 201
    r = api.post(base, {"occurred_at": yesterday(), "amount": 2, "doc_no": "X1"})
    assert r.status_code == 409 and "doc_no" in r.json()["errors"]
    assert Visit.objects.count() == 1


def test_files_out_of_sight_are_404_and_roles_that_may_not_are_403(world):
    v = Visit.objects.create(property=world.h1, customer=world.c_am2, amount=Decimal(10), occurred_at=timezone.now())
    am1 = token_client(world.am1)
    assert am1.get(f"/api/customers/{world.c_am2.pk}/visits").status_code == 404
    assert am1.post(f"/api/customers/{world.c_am2.pk}/visits", {"amount": 1, "occurred_at": yesterday()}
                    ).status_code == 404
    assert am1.patch(f"/api/visits/{v.pk}", {"amount": 1}).status_code == 404
    assert am1.post(f"/api/visits/{v.pk}/void", {"reason": "x"}).status_code == 404
    assert am1.get(f"/api/visits/{v.pk}/history").status_code == 404
    sup = token_client(world.sup)
    assert sup.get(f"/api/customers/{world.c_am2.pk}/visits").status_code == 200
    assert sup.post(f"/api/customers/{world.c_am2.pk}/visits", {"amount": 1, "occurred_at": yesterday()}
                    ).status_code == 403
    assert sup.post(f"/api/visits/{v.pk}/void", {"reason": "x"}).status_code == 403
    desk = token_client(world.desk)
    assert desk.patch(f"/api/visits/{v.pk}", {"amount": 1}).status_code == 403  # not recorded by the desk
    assert Visit.objects.get(pk=v.pk).amount == 10 and not Visit.objects.get(pk=v.pk).is_void
