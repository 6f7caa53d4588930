"""R-7.6 settings: the general manager configures the property's cadence rules (event, for whom,
offsets, role, in use); bad offsets and odd input change nothing; a rule of another property is
404, another role 403; a rule created or switched back on is in use from the property's today
(the scheduler makes no task due before it); "run now" logs a SchedulerRun for that property."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests.conftest import make_customer
from yingke.core.models import AuditEvent
from yingke.tracking import cadence, cadence_config
from yingke.tracking.models import CadenceRule, SchedulerRun, Task

CADENCES = reverse("tracking:cadences")
NEW = reverse("tracking:cadence_new")
RUNS = reverse("tracking:runs")
RUN_NOW = reverse("tracking:run_now")


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


def rule_data(**extra):
    data = {"name": "After a banquet", "event": "banquet_held", "buyers": "any", "offsets": "2, 30",
            "role": "account_manager", "is_active": "on", "property": "H1"}
    data.update(extra)
    return data


# ---- the service -------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("3, 30, 60", [3, 30, 60]), ("３，３０，６０", [3, 30, 60]), ("60、3 15", [3, 15, 60]), ([7, "14"], [7, 14]),
    ("365", [365]),
])
def test_offsets_are_read_leniently(value, expected):
    errors = {}
    assert cadence_config.parse_offsets(value, errors) == expected and not errors


@pytest.mark.parametrize("value", [
    "", " , ", "0", "366", "3, 3", "-3", "3.5", "1e3", "１２３４５６７", "3,\u200b30", "x", "3\x00", "\ud800",
    ",".join(str(i) for i in range(1, 12)), [True], [3.0], None, 5, [10**30], "9" * 5000,
])
def test_bad_offsets_are_refused(value):
    errors = {}
    cadence_config.parse_offsets(value, errors)
    assert errors.get("offsets"), value


def test_save_rule_validates_and_changes_nothing_on_bad_input(world):
    before = CadenceRule.objects.filter(property=world.h1).count()
    for bad in ({"name": ""}, {"name": "\u200b"}, {"name": "x" * 61}, {"name": "a\x07b"}, {"event": "wedding"},
                {"buyers": "vip"}, {"role": "gm"}, {"offsets": "3, 400"}, {"is_active": "yes"},
                {"property": "H2"}):
        data = {"name": "R", "event": "file_created", "buyers": "any", "offsets": [3], "role": "supervisor",
                **bad}
        with pytest.raises(ValidationError) as e:
            cadence_config.save_rule(world.gm, world.h1, **data)
        assert set(e.value.message_dict) == set(bad), bad
    assert CadenceRule.objects.filter(property=world.h1).count() == before
    with pytest.raises(PermissionDenied):
        cadence_config.save_rule(world.sm, world.h1, name="R", offsets=[3])
    with pytest.raises(PermissionDenied):
        cadence_config.save_rule(world.gm2, world.h1, name="R", offsets=[3])


def test_a_rule_is_in_use_from_today_when_created_or_switched_back_on(world):
    today = world.h1.local_today()
    rule = cadence_config.save_rule(world.gm, world.h1, name="Non-buyers", event="file_created",
                                    buyers="non_buyers", offsets="１", role="account_manager")
    assert rule.active_from == today and rule.offsets == [1]
    CadenceRule.objects.filter(pk=rule.pk).update(active_from=today - dt.timedelta(days=100), is_active=False)
    rule.refresh_from_db()
    rule = cadence_config.save_rule(world.gm, world.h1, rule, is_active=True)
    assert rule.active_from == today
    CadenceRule.objects.filter(pk=rule.pk).update(active_from=today - dt.timedelta(days=100))
    rule.refresh_from_db()
    rule = cadence_config.save_rule(world.gm, world.h1, rule, name="Renamed")  # still on: unchanged
    assert rule.active_from == today - dt.timedelta(days=100)
    event = AuditEvent.objects.filter(action="config.cadence.update").latest("pk")
    assert event.details["before"] == {"name": "Non-buyers"} and event.details["after"] == {"name": "Renamed"}
    assert AuditEvent.objects.filter(action="config.cadence.create", target=f"cadence:H1:{rule.pk}").exists()


def test_a_new_rule_makes_no_task_due_before_it_came_into_use(world):
    CadenceRule.objects.filter(property=world.h1).update(is_active=False)
    old = make_customer(world.h1, "C100", "老客")
    from yingke.customers.models import Customer

    Customer.objects.filter(pk=old.pk).update(created_at=world.h1.day_start(world.h1.local_today()
                                                                             - dt.timedelta(days=2), dt.time(12)))
    cadence_config.save_rule(world.gm, world.h1, name="Day 1", event="file_created", buyers="any", offsets=[1],
                             role="account_manager")
    run = cadence_config.run_now(world.gm, world.h1)
    assert run.trigger == SchedulerRun.Trigger.PAGE and run.user == world.gm
    assert not Task.objects.filter(customer=old).exists()  # due yesterday, before the rule was in use


# ---- the pages ---------------------------------------------------------------------------------

def test_the_cadence_page_for_the_general_manager_only(client, world):
    client.force_login(world.gm)
    r = client.get(CADENCES)
    body = r.content.decode()
    assert r.status_code == 200
    assert "3, 30, 60" in body and "15, 30, 60" in body and "3, 15" in body  # the defaults of
    assert "at most 14 days" in body and 'class="subnav"' in body
    assert client.get(CADENCES, {"property": "H2"}).status_code == 404
    for who in ("sm", "am1", "desk", "sup"):
        client.force_login(getattr(world, who))
        assert client.get(CADENCES).status_code == 403, who
        assert client.get(RUNS).status_code == 403, who
        assert client.post(RUN_NOW, {"property": "H1"}).status_code == 403, who
        assert client.post(NEW, rule_data()).status_code == 403, who
    assert not SchedulerRun.objects.exists()


def test_new_and_edit_rules_through_the_pages(client, world):
    client.force_login(world.gm)
    assert client.get(NEW).status_code == 200
    r = client.post(NEW, rule_data(offsets="3, 3"))
    assert r.status_code == 422 and "only once" in r.content.decode()
    r = client.post(NEW, rule_data(offsets="3, 400"))
    assert r.status_code == 422 and "between 1 and 365" in r.content.decode()
    r = client.post(NEW, rule_data(name="\u202e\u200b"))
    assert r.status_code == 422
    r = client.post(NEW, rule_data(offsets="２，３０"))
    assert r.status_code == 302
    rule = CadenceRule.objects.get(name="After a banquet")
    assert rule.offsets == [2, 30] and rule.event == "banquet_held" and rule.property == world.h1
    edit = reverse("tracking:cadence_edit", args=[rule.pk])
    assert "2, 30" in client.get(edit).content.decode()
    r = client.post(edit, rule_data(offsets="5", is_active=""))
    assert r.status_code == 302
    rule.refresh_from_db()
    assert rule.offsets == [5] and not rule.is_active
    # another property's rule is 404 to H2's general manager; H1's sales manager is refused
    client.force_login(world.gm2)
    assert client.get(edit).status_code == 404 and client.post(edit, rule_data()).status_code == 404
    h2_rule = CadenceRule.objects.filter(property=world.h2).first()
    client.force_login(world.gm)
    assert client.get(reverse("tracking:cadence_edit", args=[h2_rule.pk])).status_code == 404
    client.force_login(world.sm)
    assert client.get(edit).status_code == 403
    rule.refresh_from_db()
    assert rule.offsets == [5]


def test_run_now_creates_a_scheduler_run(client, world):
    client.force_login(world.gm)
    r = client.post(RUN_NOW, {"property": "H1"})
    assert r.status_code == 302 and r["Location"].startswith(RUNS)
    run = SchedulerRun.objects.get()
    assert run.trigger == SchedulerRun.Trigger.PAGE and run.user == world.gm and run.finished_at
    assert client.post(RUN_NOW, {"property": "H2"}).status_code == 404
    assert client.get(RUN_NOW).status_code == 405
    body = client.get(RUNS).content.decode()
    assert "By hand" in body and "gm" in body


def test_runs_show_this_propertys_figures(client, world):
    rule = CadenceRule.objects.filter(property=world.h1).first()
    CadenceRule.objects.filter(pk=rule.pk).update(name="Buyers AM")
    rule.refresh_from_db()
    SchedulerRun.objects.create(trigger=SchedulerRun.Trigger.JOB, created=7, escalated=1, details={
        "H1": {"tasks": {str(rule.pk): 4}, "escalated": {"tasks": 1, "commitments": 0}},
        "H2": {"tasks": {"999": 3}, "escalated": {"tasks": 0, "commitments": 0}}})
    SchedulerRun.objects.create(trigger=SchedulerRun.Trigger.PAGE, user=world.gm2, details={})
    client.force_login(world.gm)
    body = client.get(RUNS).content.decode()
    assert "Buyers AM: 4 tasks" in body and "999" not in body and "Escalated tasks: 1, promises: 0" in body
    assert "gm2" not in body  # a run by hand for another property


def test_the_scheduler_is_idempotent_through_run_now(world):
    Task.objects.all().delete()
    c = make_customer(world.h1, "C200", "新客")
    from yingke.customers.models import Customer

    CadenceRule.objects.filter(property=world.h1).update(active_from=dt.date(2000, 1, 1))
    Customer.objects.filter(pk=c.pk).update(created_at=world.h1.day_start(world.h1.local_today()
                                                                           - dt.timedelta(days=3), dt.time(12)))
    first = cadence_config.run_now(world.gm, world.h1)
    second = cadence_config.run_now(world.gm, world.h1)
    assert first.created >= 1 and second.created == 0
    assert Task.objects.filter(customer=c, offset=3).count() == 1
    assert cadence.CATCH_UP_DAYS == 14
