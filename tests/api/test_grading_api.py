"""API of grading (R-4, issue 13 point 1): runs, entries (visible customers only), export,
parameters, a customer's grades and the override — every role (ok / 403 / 404), bad input 422
changing nothing, 409 for removing an override that is not there."""

import csv
import datetime as dt
import io

import pytest

from tests.api.helpers import token_client
from tests.conftest import EXPECTED
from tests.grading.test_grading_pages_helpers import make_run
from yingke.customers.models import Customer
from yingke.grading.models import GradeOverride, GradingRun
from yingke.grading.policy import policy_of

ROLES = ["gm", "sm", "admin", "am1", "desk", "sup", "gm2", "am_h2"]
LOOKERS = {"gm", "sm", "admin"}


@pytest.fixture
def run(world):
    return make_run(world.h1, user=world.gm)


def api(world, role):
    return token_client(getattr(world, role))


@pytest.mark.parametrize("role", ROLES)
def test_runs_list_and_detail_by_role(world, run, role):
    client = api(world, role)
    listing = client.get("/api/grading/runs", {"property": world.h1.pk})
    detail = client.get(f"/api/grading/runs/{run.pk}")
    if role in LOOKERS:
        assert listing.status_code == 200 and [r["id"] for r in listing.json()["items"]] == [run.pk]
        body = detail.json()
        assert detail.status_code == 200 and body["a_count"] == 1 and body["customers"] == 4
        assert body["a_percent"] == pytest.approx(33.3) and body["started_by"]["username"] == "gm"
    elif role in ("gm2", "am_h2"):
        assert listing.status_code in (200, 403) and detail.status_code in (403, 404)
        if listing.status_code == 200:
            assert listing.json()["items"] == []
    else:
        assert listing.status_code == 403 and detail.status_code == 403


@pytest.mark.parametrize("role", ["gm", "sm", "admin"])
def test_entries_only_of_visible_customers(world, run, role):
    body = api(world, role).get(f"/api/grading/runs/{run.pk}/entries").json()
    shown = {i["customer"]["id"] for i in body["items"]}
    assert shown == {getattr(world, n).pk for n in EXPECTED[role]}
    assert [i["grade"] for i in body["items"]] == sorted(i["grade"] for i in body["items"])


def test_entries_filter_and_cursor(world, run):
    client = api(world, "gm")
    only_b = client.get(f"/api/grading/runs/{run.pk}/entries", {"grade": "B"}).json()["items"]
    assert [i["customer"]["id"] for i in only_b] == [world.c_am2.pk]
    first = client.get(f"/api/grading/runs/{run.pk}/entries", {"limit": 3}).json()
    rest = client.get(first["next"]).json()
    assert len(first["items"]) == 3 and len(rest["items"]) == 1 and rest["next"] is None
    bad = client.get(f"/api/grading/runs/{run.pk}/entries", {"grade": "E"})
    assert bad.status_code == 422
    assert client.get(f"/api/grading/runs/{run.pk}/entries", {"cursor": "xx"}).status_code == 422


@pytest.mark.parametrize("role,status", [("gm", 200), ("sm", 200), ("admin", 403), ("am1", 403), ("gm2", 404)])
def test_export(world, run, role, status):
    response = api(world, role).get(f"/api/grading/runs/{run.pk}/export", {"format": "csv"})
    assert response.status_code == status
    if status == 200:
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["customer_code", "name", "grade", "visits", "amount", "standard", "rank_visits",
                           "rank_amount"]
        assert len(rows) == 1 + len(EXPECTED[role])
    assert api(world, "gm").get(f"/api/grading/runs/{run.pk}/export", {"format": "pdf"}).status_code == 422


def test_start_a_run(world):
    client = api(world, "gm")
    response = client.post("/api/grading/runs", {"property": world.h1.pk, "as_of": "2026-11-20"})
    assert response.status_code == 201
    body = response.json()
    assert body["trigger"] == "api" and body["as_of"] == "2026-11-20" and body["customers"] == 4
    assert client.get(f"/api/grading/runs/{body['id']}").status_code == 200


@pytest.mark.parametrize("payload,field", [
    ({"property": 10**9}, "property"), ({}, "property"), ({"property": "H1"}, "property"),
    ({"property": 0}, "property"), ({"as_of": "2999-01-01"}, "as_of"), ({"as_of": "1999-01-01"}, "as_of"),
    ({"as_of": "2026-02-30"}, "as_of"), ({"extra": 1}, "extra"),
])
def test_start_with_bad_input_changes_nothing(world, payload, field):
    body = {"property": world.h1.pk, **payload}
    if "property" in payload and payload["property"] is None:
        body.pop("property")
    if payload == {}:
        body = {}
    response = api(world, "gm").post("/api/grading/runs", body)
    assert response.status_code == 422 and field in response.json()["errors"], response.json()
    assert not GradingRun.objects.exists()


@pytest.mark.parametrize("role,status", [("sm", 403), ("am1", 403), ("desk", 403), ("gm2", 422), ("admin", 201)])
def test_who_may_start_a_run(world, role, status):
    response = api(world, role).post("/api/grading/runs", {"property": world.h1.pk})
    assert response.status_code == status
    assert GradingRun.objects.exists() == (status == 201)


@pytest.mark.parametrize("role,status", [("gm", 200), ("sm", 200), ("admin", 200), ("am1", 403), ("gm2", 404)])
def test_read_the_parameters(world, role, status):
    response = api(world, role).get(f"/api/grading/policies/{world.h1.pk}")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["window_days"] == 60 and body["can_change"] == (role != "sm")


def test_change_the_parameters_and_read_the_change(world):
    client = api(world, "gm")
    response = client.patch(f"/api/grading/policies/{world.h1.pk}", {"window_days": 90, "a_share": "25.5"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["window_days"] == 90 and body["a_share"] == "25.50" and body["b_share"] == "50.00"
    assert {(c["field"], c["before"], c["after"], c["who"]) for c in body["changes"]} == {
        ("window_days", "60", "90", "gm"), ("a_share", "20.00", "25.50", "gm")}


@pytest.mark.parametrize("payload,field", [
    ({"window_days": 0}, "window_days"), ({"window_days": 3661}, "window_days"), ({"a_share": 101}, "a_share"),
    ({"a_share": "20.123"}, "a_share"), ({"b_share": -1}, "b_share"), ({"nightly": "maybe"}, "nightly"),
    ({"w": 1}, "w"), ({"window_days": "abc"}, "window_days"),
])
def test_bad_parameters_change_nothing(world, payload, field):
    response = api(world, "gm").patch(f"/api/grading/policies/{world.h1.pk}", payload)
    assert response.status_code == 422 and field in response.json()["errors"], response.json()
    assert policy_of(world.h1).history.count() == 1


@pytest.mark.parametrize("role,status", [("sm", 403), ("am1", 403), ("gm2", 404)])
def test_who_may_change_the_parameters(world, role, status):
    response = api(world, role).patch(f"/api/grading/policies/{world.h1.pk}", {"window_days": 30})
    assert response.status_code == status and policy_of(world.h1).window_days == 60


# ---- a customer's grades -------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_customer_grades_by_role(world, run, role):
    response = api(world, role).get(f"/api/customers/{world.c_am1.pk}/grades")
    if "c_am1" in EXPECTED[role]:
        body = response.json()
        assert response.status_code == 200 and body["grade"] == "A" and body["history"][0]["grade"] == "A"
        assert body["can_override"] == (role == "gm")
    else:
        assert response.status_code == 404


def test_override_set_survives_and_is_removed(world, run):
    client = api(world, "gm")
    url = f"/api/customers/{world.c_am2.pk}/grade-override"
    response = client._send("put", url, {"grade": "A", "reason": "集团重点客户"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["grade"] == "A" and body["grade_computed"] == "B"
    assert body["override"]["reason"] == "集团重点客户" and body["override"]["set_by"]["username"] == "gm"
    make_run(world.h1, as_of=dt.date(2026, 11, 2))
    assert client.get(f"/api/customers/{world.c_am2.pk}").json()["grade"] == "A"
    gone = client.delete(url + "?reason=" + "客户降级")
    assert gone.status_code == 200 and gone.json()["grade"] == "B" and gone.json()["override"] is None
    assert [h["action"] for h in gone.json()["override_history"]] == ["removed", "set"]
    assert client.delete(url + "?reason=x").status_code == 409


@pytest.mark.parametrize("role,status", [("sm", 403), ("am1", 403), ("desk", 403), ("sup", 403),
                                         ("admin", 404), ("gm2", 404), ("am2", 404)])
def test_who_may_override(world, run, role, status):
    url = f"/api/customers/{world.c_am1.pk}/grade-override"
    assert api(world, role)._send("put", url, {"grade": "B", "reason": "x"}).status_code == status
    assert api(world, role).delete(url + "?reason=x").status_code == status
    assert Customer.objects.get(pk=world.c_am1.pk).grade == "A" and not GradeOverride.objects.exists()


@pytest.mark.parametrize("payload,field", [
    ({"grade": "E", "reason": "x"}, "grade"), ({"reason": "x"}, "grade"), ({"grade": "A"}, "reason"),
    ({"grade": "A", "reason": "   "}, "reason"), ({"grade": "A", "reason": "x" * 201}, "reason"),
    ({"grade": "A", "reason": "a\u0007b"}, "reason"), ({"grade": "AB", "reason": "x"}, "grade"),
    ({"grade": "A", "reason": "x", "by": 1}, "by"),
])
def test_bad_override_changes_nothing(world, run, payload, field):
    response = api(world, "gm")._send("put", f"/api/customers/{world.c_am1.pk}/grade-override", payload)
    assert response.status_code == 422 and field in response.json()["errors"], response.json()
    assert Customer.objects.get(pk=world.c_am1.pk).grade == "A" and not GradeOverride.objects.exists()


def test_removal_needs_a_reason(world, run):
    client = api(world, "gm")
    url = f"/api/customers/{world.c_am1.pk}/grade-override"
    client._send("put", url, {"grade": "C", "reason": "x"})
    response = client.delete(url)
    assert response.status_code == 422 and "reason" in response.json()["errors"]
    assert Customer.objects.get(pk=world.c_am1.pk).grade == "C"


def test_a_hidden_file_is_404_whatever_the_body(world, run):
    url = f"/api/customers/{world.c_am1.pk}/grade-override"
    assert api(world, "gm2")._send("put", url, {"grade": "E"}).status_code == 404
