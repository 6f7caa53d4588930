"""What tracking pages and endpoints show across the row rule (R-1.2, R-12.1), found by an
attacker-minded review of issue 15: a masked mobile cannot be spelled out by searching leads, a
file that moved out of sight is not named on an opportunity or a lead, manual scheduler runs of
other properties stay theirs, lead rows of the control table say they are leads, the opportunity
list reads a page in a fixed number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.api.helpers import token_client
from tests.conftest import make_customer
from yingke.core.permissions import SYSTEM
from yingke.tracking import cadence_config, pipeline, services
from yingke.tracking.cadence import generate
from yingke.tracking.models import CadenceRule, Task

MOBILE = "13800001111"


def page(user, url, data=None):
    client = Client()
    client.force_login(user)
    return client.get(url, data or {})


@pytest.fixture
def lead(world):
    return services.create_lead(world.am1, world.h1, name="王五", mobile=MOBILE, source="marketing")


@pytest.mark.parametrize("q, found", [("0000111", False), ("000011", False), ("1111", True), (MOBILE, True),
                                      ("0000222", False)])
def test_a_masked_role_finds_a_lead_by_the_whole_mobile_or_its_last_four_only(world, lead, q, found):
    for url in (reverse("tracking:leads"),):
        body = page(world.desk, url, {"q": q}).content.decode()
        assert ("王五" in body) is found, (url, q)
    r = token_client(world.desk).get("/api/tracking/leads", {"q": q})
    assert r.status_code == 200 and ({i["id"] for i in r.json()["items"]} == {lead.pk}) is found


def test_a_role_with_full_mobiles_finds_a_lead_by_part_of_it(world, lead):
    assert "王五" in page(world.am1, reverse("tracking:leads"), {"q": "0000111"}).content.decode()


def test_the_opportunity_form_does_not_name_a_file_out_of_sight(world):
    opp = pipeline.create_opportunity(world.gm, world.h1, customer=world.c_am2, kind="banquet", title="寿宴",
                                      amount=1000, expected_on=world.h1.local_today(), owner=None)
    for name in ("tracking:opportunity", "tracking:opportunity_edit"):
        r = page(world.am1, reverse(name, args=[opp.pk]))
        assert r.status_code == 200 and world.c_am2.name not in r.content.decode(), name


def test_an_opportunity_cannot_reach_a_hidden_file_through_a_converted_lead(world):
    pool_lead = services.create_lead(world.gm, world.h1, name="池中客", source="events", owner=None)
    services.convert(world.gm, pool_lead, customer=world.c_am2)
    r = token_client(world.am1).post("/api/tracking/opportunities", {
        "property": "H1", "lead": pool_lead.pk, "kind": "banquet", "title": "婚宴", "amount": "1000.00",
        "expected_on": world.h1.local_today().isoformat()})
    assert r.status_code == 422 and "lead" in r.json()["errors"]


def test_a_hidden_referrer_is_neither_shown_nor_lost_when_the_lead_is_saved(world):
    lead = services.create_lead(world.am1, world.h1, name="介绍来的", source="referral", referrer=world.c_am1,
                                owner=None)
    client = Client()
    client.force_login(world.am2)
    url = reverse("tracking:lead_edit", args=[lead.pk])
    body = client.get(url).content.decode()
    assert world.c_am1.customer_code not in body and world.c_am1.name not in body
    r = client.post(url, {"kind": "person", "name": "介绍来的", "source": "referral", "referrer": "",
                          "owner": ""})
    assert r.status_code == 302, r.content.decode()[-2000:]
    lead.refresh_from_db()
    assert lead.referrer_id == world.c_am1.pk


def test_manual_runs_of_another_property_are_not_listed(world):
    cadence_config.run_now(world.gm2, world.h2)
    runs = token_client(world.gm).get("/api/tracking/scheduler-runs").json()["items"]
    assert all((r.get("user") or {}).get("username") != "gm2" for r in runs)
    mine = token_client(world.gm2).get("/api/tracking/scheduler-runs").json()["items"]
    assert any((r.get("user") or {}).get("username") == "gm2" for r in mine)


def test_a_lead_row_of_the_control_table_says_it_is_a_lead(world, lead):
    services.add_task(world.am1, lead, title="再打电话", due_on=world.h1.local_today())
    body = token_client(world.am1).get("/api/control-table").json()
    (row,) = next(s for s in body["sections"] if s["key"] == "follow_ups")["rows"]
    assert row["kind"] == "lead" and row["id"] == lead.pk


def test_the_opportunity_list_reads_a_page_in_a_fixed_number_of_queries(world):
    client = token_client(world.gm)

    def make(n):
        for i in range(n):
            c = make_customer(world.h1, f"OP{i}{n}", f"客{i}", owner=world.am1)
            o = pipeline.create_opportunity(SYSTEM, world.h1, customer=c, kind="banquet", title=f"宴{i}",
                                            amount=100, expected_on=world.h1.local_today())
            if i % 2:
                pipeline.move_stage(SYSTEM, o, "won")

    def count():
        with CaptureQueriesContext(connection) as q:
            assert client.get("/api/tracking/opportunities", {"limit": 100}).status_code == 200
        return len(q)

    make(3)
    count()  # the token's first use is recorded once
    few = count()
    make(9)
    assert count() == few


def test_dates_beyond_2100_are_refused(world, lead):
    with pytest.raises(Exception) as e:
        services.add_task(world.am1, lead, title="很久以后", due_on="9999-12-31")
    assert "due_on" in e.value.message_dict


def test_changing_a_rules_event_lets_the_new_event_make_its_tasks(world):
    """The task key names the event: a rule moved from "file created" to "first purchase" makes the
    first-purchase task of a file that already had the file-created one."""
    rule = CadenceRule.objects.create(property=world.h1, name="r", event="file_created", buyers="any", offsets=[1],
                                      role="account_manager", active_from=dt.date(2000, 1, 1))
    CadenceRule.objects.exclude(pk=rule.pk).delete()
    today = world.h1.local_today()
    c = world.c_am1
    type(c).objects.filter(pk=c.pk).update(created_at=world.h1.day_start(today - dt.timedelta(days=1)),
                                           first_visit_at=world.h1.day_start(today - dt.timedelta(days=1)))
    generate(world.h1, today)
    CadenceRule.objects.filter(pk=rule.pk).update(event="first_purchase")
    generate(world.h1, today)
    assert sorted(Task.objects.filter(rule=rule, customer=c).values_list("event", flat=True)) == [
        "file_created", "first_purchase"]
