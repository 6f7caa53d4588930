"""The API of position targets (R-6.3) and the target node analysis (R-6.5): the same rules
as the pages (control.targets / control.nodes): reading by CONTROL or TARGET, setting by
TARGET (404 for a member one does not read, 403 for one read but not theirs to set), bad
input 422 and nothing changed."""

import datetime as dt

import pytest

from tests.api.helpers import token_client
from yingke.control.models import PositionTarget


@pytest.fixture
def api(world):
    return {role: token_client(getattr(world, role)) for role in
            ("gm", "sm", "am1", "am2", "desk", "admin", "gm2")}


def _put(client, member, body, kind="month", start="2026-03-01", prop="H1"):
    return client.put(f"/api/targets/{member.pk}/{kind}/{start}?property={prop}", body)


@pytest.mark.parametrize("role,member,status", [
    ("gm", "am1", 200), ("gm", "sm", 200), ("sm", "am2", 200), ("sm", "sm", 403), ("sm", "am3", 404),
    ("am1", "am1", 403), ("am1", "am2", 404), ("desk", "am1", 403), ("admin", "am1", 403), ("gm2", "am1", 404),
])
def test_who_may_put_targets(world, api, role, member, status):
    r = _put(api[role], getattr(world, member), {"visits": 12, "revenue": "3000.50"})
    assert r.status_code == status, r.content
    assert PositionTarget.objects.filter(visits=12).exists() == (status == 200)
    if status == 200:
        body = r.json()
        assert body["target"]["visits"] == 12 and body["target"]["revenue"] == "3000.50"
        assert body["end"] == "2026-03-31" and body["set_by"] == getattr(world, role).pk


@pytest.mark.parametrize("body,kind,start", [
    ({"visits": -1}, "month", "2026-03-01"), ({"revenue": "1.001"}, "month", "2026-03-01"),
    ({"visits": "many"}, "month", "2026-03-01"), ({"colour": 1}, "month", "2026-03-01"),
    ({"visits": 1}, "month", "2026-03-02"), ({"visits": 1}, "week", "2026-03-04"), ({"visits": 1}, "year", "2026-01-01"),
    ({"visits": 1}, "month", "1999-12-01"), ({"visits": 1}, "month", "２０２６-03-01"),
    ({"visits": 10_000_000}, "month", "2026-03-01"),
])
def test_bad_input_is_422_and_changes_nothing(world, api, body, kind, start):
    r = _put(api["sm"], world.am1, body, kind, start)
    assert r.status_code == 422, r.content
    assert r.json()["errors"]
    assert not PositionTarget.objects.exists()


def test_put_replaces_and_get_reads(world, api):
    assert _put(api["sm"], world.am1, {"visits": 12, "effective": 5}).status_code == 200
    assert _put(api["sm"], world.am1, {"visits": 8}).status_code == 200  # effective: no target any more
    row = PositionTarget.objects.get(user=world.am1)
    assert (row.visits, row.effective, row.history.count()) == (8, None, 2)
    r = api["sm"].get("/api/targets", {"property": "H1", "kind": "month", "start": "2026-03-17"})
    assert r.status_code == 200
    body = r.json()
    assert body["start"] == "2026-03-01" and body["end"] == "2026-03-31" and body["elapsed"] == "100.0"
    am1 = next(x for x in body["lines"] if x["member"]["username"] == "am1")
    assert am1["target"]["visits"] == 8 and am1["actual"]["visits"] == 0 and am1["may_set"] is True
    assert am1["achieved"]["visits"] == "0.0" and am1["actual"]["follow_ups"] == 0
    assert {x["member"]["username"] for x in body["lines"]} == {"sm", "am1", "am2"}
    assert len(body["teams"]) == 1 and body["total"] is None
    mine = api["am1"].get("/api/targets", {"kind": "week"}).json()
    assert [x["member"]["username"] for x in mine["lines"]] == ["am1"] and mine["lines"][0]["may_set"] is False
    assert dt.date.fromisoformat(mine["start"]).weekday() == 0


@pytest.mark.parametrize("role,status", [("gm", 200), ("sm", 200), ("am1", 200), ("desk", 403), ("admin", 403)])
def test_who_reads_the_lists(world, api, role, status):
    assert api[role].get("/api/targets").status_code == status
    assert api[role].get("/api/target-nodes").status_code == status


def test_reads_of_another_property_and_bad_periods(world, api):
    assert api["gm2"].get("/api/targets", {"property": "H1"}).status_code == 404
    assert api["gm"].get("/api/target-nodes", {"kind": "year"}).status_code == 422
    assert api["gm"].get("/api/targets", {"start": "soon"}).status_code == 422
    assert api["gm"].get("/api/targets", {"start": "1990-01-01"}).status_code == 422


def test_target_nodes(world, api):
    _put(api["gm"], world.am1, {"visits": 4})
    r = api["gm"].get("/api/target-nodes", {"property": "H1", "kind": "month", "start": "2026-03-01"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["days"] == 31 and body["elapsed_days"] == 31 and body["previous_start"] == "2026-02-01"
    am1 = next(x for x in body["lines"] if x["member"]["username"] == "am1")
    assert am1["behind"]["visits"] is True and am1["incentives"]["plan"] == {"due": 0, "matched": 0, "share": None}
    assert am1["incentives"]["kept"]["start"] is None and body["start_snapshot"] is None
    assert body["total"]["incentives"]["value"]["revenue"] == "0.00"
    assert isinstance(body["modules"], list)
    mine = api["am1"].get("/api/target-nodes").json()
    assert mine["modules"] is None and [x["member"]["username"] for x in mine["lines"]] == ["am1"]
