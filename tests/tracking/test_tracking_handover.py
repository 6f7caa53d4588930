"""R-1.3 with issue 15: a leaving member of staff's open leads, the follow-up tasks assigned to
them by name and their open commitments are part of what they hold (they block deactivation)
and move in the handover; closed leads, done tasks and kept promises stay as history; tasks that
fall to a file's owner follow the file."""

import datetime as dt

import pytest

from yingke.control import handover
from yingke.core.services import Conflict
from yingke.tracking import services
from yingke.tracking.models import Commitment, Lead, Source, Task


@pytest.fixture
def held(world):
    h = type("Held", (), {})()
    today = world.h1.local_today()
    later = today + dt.timedelta(days=3)
    lead = services.create_lead
    h.open = lead(world.am1, world.h1, name="开着的", source=Source.MARKETING)
    h.moving = services.move_stage(world.am1, lead(world.am1, world.h1, name="推进中", source=Source.EVENTS), 4)
    h.dropped = services.drop_lead(world.am1, lead(world.am1, world.h1, name="放弃的", source=Source.MARKETING), "无意向")
    h.converted = lead(world.am1, world.h1, name="已转化", source=Source.MARKETING)
    services.convert(world.am1, h.converted, customer=world.c_am1)
    h.other = lead(world.am2, world.h1, name="别人的", source=Source.MARKETING)
    h.assigned = services.add_task(world.am1, world.c_pool, title="公共池回访", due_on=later)
    h.on_own_file = services.add_task(world.sm, world.c_am1, title="经理派的", due_on=later)  # assigned to sm
    h.unassigned = Task.objects.create(property=world.h1, customer=world.c_am1, title="跟着客户", due_on=later)
    h.done = services.add_task(world.am1, world.c_am1, title="做完的", due_on=later)
    services.complete_task(world.am1, h.done, channel="phone", outcome="reached", summary="好")
    h.promise = services.add_commitment(world.am1, world.c_am1, promised="送贺卡", due_on=later)
    h.pool_promise = services.add_commitment(world.am1, world.c_pool, promised="回电话", due_on=later)
    h.kept = services.add_commitment(world.am1, world.c_am1, promised="已送", due_on=later)
    services.keep_commitment(world.am1, h.kept, "送到")
    return h


def test_what_a_member_holds_includes_leads_tasks_and_commitments(world, held):
    got = handover.holdings(world.am1)
    h1 = world.h1.pk
    assert got["leads"] == {h1: 2} and got["tasks"] == {h1: 1} and got["commitments"] == {h1: 2}
    assert "leads" in handover.labels() and "commitments" in handover.labels()


def test_a_handover_to_a_colleague_moves_them_all(world, held):
    h = handover.handover(world.gm, world.am1, to=world.am2, reason="离职")
    assert (h.counts["leads"], h.counts["tasks"], h.counts["commitments"]) == (2, 1, 2)
    owners = dict(Lead.objects.values_list("name", "owner__username"))
    assert owners == {"开着的": "am2", "推进中": "am2", "放弃的": "am1", "已转化": "am1", "别人的": "am2"}
    assert Task.objects.get(pk=held.assigned.pk).assignee == world.am2
    assert Task.objects.get(pk=held.on_own_file.pk).assignee == world.sm
    assert Task.objects.get(pk=held.done.pk).assignee == world.am1  # history stays
    assert Task.objects.get(pk=held.unassigned.pk).assignee is None  # follows the file (now am2's)
    assert set(Commitment.objects.filter(done_at__isnull=True).values_list("owner__username", flat=True)) == {"am2"}
    assert Commitment.objects.get(pk=held.kept.pk).owner == world.am1
    assert Lead.objects.get(pk=held.moving.pk).stage == 4  # the stage is kept
    left = handover.holdings(world.am1)
    assert not left.get("leads") and not left.get("tasks") and not left.get("commitments")


def test_by_the_rules_leads_go_to_the_pool_and_promises_to_the_files_new_owner(world, held):
    h = handover.handover(world.gm, world.am1, by_rules=True, reason="离职")
    assert h.counts["leads"] == 2
    assert set(Lead.objects.filter(pk__in=[held.open.pk, held.moving.pk]).values_list("owner", flat=True)) == {None}
    new_owner = world.c_am1.__class__.objects.get(pk=world.c_am1.pk).owner_id
    assert new_owner not in (None, world.am1.pk)
    assert Commitment.objects.get(pk=held.promise.pk).owner_id == new_owner  # follows the file
    # the pool file's promise has nobody to go to: it stays with am1, still held (it blocks the
    # deactivation and is named on the screen)
    assert Commitment.objects.get(pk=held.pool_promise.pk).owner == world.am1
    assert handover.holdings(world.am1)["commitments"] == {world.h1.pk: 1}
    assert h.counts["commitments"] == 1
    assert Task.objects.get(pk=held.assigned.pk).assignee is None  # the pool file: nobody by name


def test_holding_only_tracking_work_is_still_something_to_hand_over(world):
    services.create_lead(world.am3, world.h1, name="唯一的", source=Source.MARKETING)
    world.c_am3.__class__.objects.filter(owner=world.am3).update(owner=None)
    h = handover.handover(world.gm, world.am3, to=world.am1, reason="调岗")
    assert h.counts["leads"] == 1 and Lead.objects.get(name="唯一的").owner == world.am1
    with pytest.raises(Conflict):
        handover.handover(world.gm, world.am3, to=world.am1, reason="again")
