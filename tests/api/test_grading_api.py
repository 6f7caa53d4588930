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
        # the sales manager reads their team's entries (C001 A, C002 B), not the property's
        customers, share = (2, 50.0) if role == "sm" else (4, 33.3)
        assert detail.status_code == 200 and body["a_count"] == 1 and body["customers"] == customers
        assert body["a_percent"] == pytest.approx(share) and body["started_by"]["username"] == "gm"
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


# ---- a sales manager's counts are their team's (issue 13 review) ---------------------------------

TEAM = {"customers": 2, "effective": 2, "a_count": 1, "b_count": 1, "c_count": 0, "d_count": 0, "visits": 6,
        "amount": "1800.00"}
PROPERTY = {"customers": 4, "effective": 3, "a_count": 1, "b_count": 1, "c_count": 1, "d_count": 1}


def _team_of_entries(user, run):
    from decimal import Decimal

    from yingke.core.permissions import report_rule
    from yingke.grading.models import GradeEntry

    entries = list(GradeEntry.objects.filter(run=run).filter(report_rule(user, "customer")))
    out = {"customers": len(entries), "effective": sum(e.grade != "D" for e in entries),
           "visits": sum(e.visits for e in entries),
           "amount": str(sum((e.amount for e in entries), Decimal(0)).quantize(Decimal("0.01")))}
    out.update({f"{g.lower()}_count": sum(e.grade == g for e in entries) for g in "ABCD"})
    return out


def test_the_sales_manager_reads_their_teams_counts(world, run):
    assert _team_of_entries(world.sm, run) == TEAM
    client = api(world, "sm")
    detail = client.get(f"/api/grading/runs/{run.pk}").json()
    (listed,) = client.get("/api/grading/runs").json()["items"]
    for body in (detail, listed):
        assert {k: body[k] for k in TEAM} == TEAM and body["team_only"] is True
        assert body["a_percent"] == pytest.approx(50.0)


@pytest.mark.parametrize("role", ["gm", "admin"])
def test_the_general_manager_and_administrator_read_the_stored_counts(world, run, role):
    client = api(world, role)
    detail = client.get(f"/api/grading/runs/{run.pk}").json()
    (listed,) = client.get("/api/grading/runs").json()["items"]
    for body in (detail, listed):
        assert {k: body[k] for k in PROPERTY} == PROPERTY and body["team_only"] is False


def test_the_run_list_of_a_sales_manager_takes_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    for day in range(1, 9):
        make_run(world.h1, as_of=dt.date(2026, 10, day), apply=False)
    client = api(world, "sm")
    client.get("/api/grading/runs")
    with django_assert_max_num_queries(12):
        items = client.get("/api/grading/runs", {"limit": 5}).json()["items"]
    assert len(items) == 5 and all(i["customers"] == 2 for i in items)
    rest = client.get("/api/grading/runs", {"limit": 5, "offset": 5}).json()["items"]
    assert len(rest) == 3 and all(i["customers"] == 2 and i["visits"] == 6 for i in rest)


# ---- the export is the command line's file -----------------------------------------------------

def test_api_csv_has_no_bom_and_the_exact_header(world, run):
    response = api(world, "gm").get(f"/api/grading/runs/{run.pk}/export", {"format": "csv"})
    body = b"".join(response.streaming_content)
    assert body.startswith(b"customer_code,name,grade")
    assert body.split(b"\r\n")[0] == b"customer_code,name,grade,visits,amount,standard,rank_visits,rank_amount"


def test_api_xlsx_money_is_formatted_0_00(world, run):
    import openpyxl

    response = api(world, "gm").get(f"/api/grading/runs/{run.pk}/export", {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    amounts = [row[4] for row in sheet.iter_rows(min_row=2)]
    assert amounts and all(c.number_format == "0.00" for c in amounts)


# ---- the shares are read by the policy service's one parser -------------------------------------

@pytest.mark.parametrize("value,stored", [(0.57, "0.57"), ("12.5", "12.50"), (20, "20.00"), ("100", "100.00")])
def test_shares_as_numbers_or_texts(world, value, stored):
    response = api(world, "gm").patch(f"/api/grading/policies/{world.h1.pk}", {"a_share": value})
    assert response.status_code == 200 and response.json()["a_share"] == stored


@pytest.mark.parametrize("value,message", [
    ("20.123", "at most two decimals"), (0.571, "at most two decimals"), (101, "from 0 to 100"),
    (True, "from 0 to 100"), (["20"], "from 0 to 100"), ("abc", "at most two decimals")])
def test_bad_shares_say_what_the_page_says(world, value, message):
    from django.utils import translation

    from yingke.grading.policy import parse_share

    before = policy_of(world.h1).a_share
    with translation.override("en"):
        response = api(world, "gm").patch(f"/api/grading/policies/{world.h1.pk}", {"a_share": value},
                                          **{"Accept-Language": "en"})
        assert response.status_code == 422 and message in str(response.json())
        if not isinstance(value, list):
            with pytest.raises(ValueError) as e:
                parse_share(value)
            assert message in str(e.value)
    assert policy_of(world.h1).a_share == before
