"""R-1.2 for tracking rows (core.permissions.row_rule / subject_rule): leads are seen like
files; follow-ups, tasks and commitments like the file they are about (a lead's, while there is
no file, like the lead). Who may finish a task or keep a commitment (COMPLETE): whoever it falls
to, their sales manager, the general manager; a supervisor's task the supervisors; others 403
(seen) or 404 (not seen). A task is done only with a written result."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.conftest import EXPECTED
from yingke.core.permissions import COMPLETE, SYSTEM, NotVisible, can, require
from yingke.core.services import Conflict
from yingke.tracking import services
from yingke.tracking.models import Commitment, FollowUp, Lead, Source, Task, TaskRole

ROLES = list(EXPECTED)
FILES = ["c_am1", "c_am2", "c_am3", "c_pool", "c_h2"]


@pytest.fixture
def rows(world):
    """On each of the world's files: a follow-up, a task, a commitment; and a lead per owner."""
    r = type("Rows", (), {})()
    r.by_file = {}
    for name in FILES:
        c = getattr(world, name)
        f = services.log_follow_up(SYSTEM, c, channel="phone", outcome="reached", summary=name)
        t = Task.objects.create(property=c.property, customer=c, title=name, due_on=c.property.local_today())
        owner = c.owner or world.am1
        cm = Commitment.objects.create(property=c.property, customer=c, owner=owner, promised=name,
                                       due_on=c.property.local_today())
        r.by_file[name] = (f, t, cm)
    r.leads = {}
    for key, actor, prop, owner in (("l_am1", world.am1, world.h1, "am1"), ("l_am2", world.am2, world.h1, "am2"),
                                    ("l_am3", world.am3, world.h1, "am3"), ("l_pool", world.gm, world.h1, None),
                                    ("l_h2", world.am_h2, world.h2, "am_h2")):
        lead = services.create_lead(actor, prop, name=key, source=Source.MARKETING,
                                    owner=getattr(world, owner) if owner else None)
        services.log_follow_up(SYSTEM, lead, channel="phone", outcome="no_answer", summary=key)
        Task.objects.create(property=prop, lead=lead, title=key, due_on=prop.local_today())
        r.leads[key] = lead
    return r


LEAD_EXPECTED = {role: {c.replace("c_", "l_") for c in seen} for role, seen in EXPECTED.items()}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_the_leads_and_tracking_rows_of_what_it_sees(world, rows, role):
    user = getattr(world, role)
    assert {lead.name for lead in Lead.objects.visible_to(user)} == LEAD_EXPECTED[role]
    files = EXPECTED[role]
    assert {f.summary for f in FollowUp.objects.visible_to(user)} == files | LEAD_EXPECTED[role]
    assert {t.title for t in Task.objects.visible_to(user)} == files | LEAD_EXPECTED[role]
    assert {c.promised for c in Commitment.objects.visible_to(user)} == files


def test_a_converted_leads_rows_are_seen_like_its_file(world, rows):
    lead = rows.leads["l_pool"]
    services.convert(world.gm, lead, customer=world.c_am2)
    for role in ROLES:
        user = getattr(world, role)
        assert ("l_pool" in {f.summary for f in FollowUp.objects.visible_to(user)}) == ("c_am2" in EXPECTED[role]), role
        assert ("l_pool" in {t.title for t in Task.objects.visible_to(user)}) == ("c_am2" in EXPECTED[role]), role


def test_inactive_and_anonymous_users_see_nothing(world, rows):
    from django.contrib.auth.models import AnonymousUser

    world.am1.is_active = False
    for user in (world.am1, AnonymousUser(), None):
        assert not Lead.objects.visible_to(user).exists()
        assert not FollowUp.objects.visible_to(user).exists() and not Task.objects.visible_to(user).exists()
        assert not Commitment.objects.visible_to(user).exists()


# ---- who completes ------------------------------------------------------------------------------------

def outcome(actor, obj):
    try:
        require(actor, COMPLETE, obj)
    except NotVisible:
        return 404
    except PermissionDenied:
        return 403
    return 200


@pytest.mark.parametrize("kind, expected", [
    # an account manager's task of am1's file, nobody assigned: am1, their sales manager, the GM
    ("am1_task", {"am1": 200, "sm": 200, "gm": 200, "am2": 404, "am3": 404, "desk": 403, "sup": 403, "admin": 404,
                  "gm2": 404, "am_h2": 404}),
    # a supervisor's task: the supervisors and the GM
    ("sup_task", {"sup": 200, "gm": 200, "am1": 403, "sm": 403, "desk": 403, "am2": 404, "admin": 404,
                  "gm2": 404}),
    # the pool's task: whoever may own files there
    ("pool_task", {"am1": 200, "am2": 200, "am3": 200, "sm": 200, "gm": 200, "desk": 403, "sup": 403,
                   "admin": 404, "gm2": 404}),
    # a task on the pool file assigned to am3 (who has no sales manager)
    ("am3_assigned", {"am3": 200, "gm": 200, "am1": 403, "am2": 403, "sm": 403, "desk": 403}),
    # am2's commitment on their own file
    ("am2_commitment", {"am2": 200, "sm": 200, "gm": 200, "am1": 404, "am3": 404, "desk": 403, "sup": 403,
                        "gm2": 404}),
    # a lead's task, am1's lead
    ("lead_task", {"am1": 200, "sm": 200, "gm": 200, "am2": 404, "desk": 403, "gm2": 404}),
])
def test_who_may_complete(world, rows, kind, expected):
    obj = {
        "am1_task": lambda: rows.by_file["c_am1"][1],
        "sup_task": lambda: Task.objects.create(property=world.h1, customer=world.c_am1, title="主管",
                                                role=TaskRole.SUPERVISOR, due_on=world.h1.local_today()),
        "pool_task": lambda: rows.by_file["c_pool"][1],
        "am3_assigned": lambda: Task.objects.create(property=world.h1, customer=world.c_pool, title="给am3",
                                                    assignee=world.am3, due_on=world.h1.local_today()),
        "am2_commitment": lambda: rows.by_file["c_am2"][2],
        "lead_task": lambda: Task.objects.get(lead=rows.leads["l_am1"]),
    }[kind]()
    got = {role: outcome(getattr(world, role), obj) for role in expected}
    assert got == expected


def test_the_general_manager_of_another_property_may_not(world, rows):
    assert not can(world.gm2, COMPLETE, rows.by_file["c_am1"][1])
    assert can(world.gm2, COMPLETE, rows.by_file["c_h2"][1])


@pytest.mark.parametrize("summary", ["", "   ", "\u200b", "\u200b\u2063\u180e", "\n \n", None])
def test_a_task_is_done_only_with_a_written_result(world, rows, summary):
    t = rows.by_file["c_am1"][1]
    with pytest.raises(ValidationError) as e:
        services.complete_task(world.am1, t, channel="phone", outcome="reached", summary=summary)
    assert "summary" in e.value.message_dict
    stored = Task.objects.get(pk=t.pk)
    assert stored.done_at is None and stored.follow_up is None
    assert FollowUp.objects.filter(customer=world.c_am1).count() == 1


def test_completing_logs_the_follow_up_and_twice_is_a_conflict(world, rows):
    t = rows.by_file["c_am1"][1]
    f = services.complete_task(world.sm, t, channel="visit", outcome="interested", summary="上门拜访，谈了年会")
    stored = Task.objects.get(pk=t.pk)
    assert (stored.done_by, stored.follow_up, f.ordinal, f.author) == (world.sm, f, 2, world.sm)
    with pytest.raises(Conflict):
        services.complete_task(world.am1, t, channel="phone", outcome="reached", summary="again")
    assert FollowUp.objects.filter(customer=world.c_am1).count() == 2


def test_refused_completion_changes_nothing(world, rows):
    t = rows.by_file["c_am1"][1]
    with pytest.raises(NotVisible):
        services.complete_task(world.am2, t, channel="phone", outcome="reached", summary="不是我的")
    with pytest.raises(PermissionDenied):
        services.complete_task(world.desk, t, channel="phone", outcome="reached", summary="不是我的")
    assert Task.objects.get(pk=t.pk).done_at is None and FollowUp.objects.filter(customer=world.c_am1).count() == 1


def test_a_commitment_is_kept_with_a_result(world, rows):
    c = rows.by_file["c_am1"][2]
    for bad in ("", "  ", "\u200b"):
        with pytest.raises(ValidationError):
            services.keep_commitment(world.am1, c, bad)
    with pytest.raises(NotVisible):
        services.keep_commitment(world.am2, c, "送了")
    services.keep_commitment(world.am1, c, "送了")
    with pytest.raises(Conflict):
        services.keep_commitment(world.sm, c, "again")
    assert Commitment.objects.get(pk=c.pk).result == "送了"


def test_a_commitment_needs_what_and_when_and_a_keeper(world):
    for kw, field in (({"promised": "", "due_on": "2030-01-01"}, "promised"),
                      ({"promised": "x", "due_on": "tomorrow"}, "due_on"),
                      ({"promised": "x", "due_on": "2030-01-01", "owner": world.am2}, "owner"),
                      ({"promised": "x" * 301, "due_on": "2030-01-01"}, "promised")):
        with pytest.raises(ValidationError) as e:
            services.add_commitment(world.am1, world.c_am1, **kw)
        assert field in e.value.message_dict
    with pytest.raises(NotVisible):
        services.add_commitment(world.am1, world.c_am2, promised="x", due_on="2030-01-01")
    assert services.add_commitment(world.desk, world.c_am1, promised="x", due_on="2030-01-01").owner == world.desk
    assert services.add_commitment(world.sm, world.c_am1, promised="y", due_on="2030-01-01",
                                   owner=world.am1).owner == world.am1


def test_a_commitment_owner_given_by_id(world):
    assert services.add_commitment(world.am1, world.c_am1, promised="x", due_on="2030-01-01",
                                   owner=world.am1.pk).owner == world.am1
