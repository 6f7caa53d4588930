"""R-2.8 with R-7.3/R-7.6: merging two files moves the merged file's follow-ups, tasks and
commitments to the survivor and numbers the survivor's follow-ups again in time order (the
files_merged receiver in tracking.hooks); two cadence tasks of one rule, offset and event
cannot both stay (the unique key): the merged file's is dropped, the merge does not fail."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.conftest import make_customer
from yingke.customers.merge import merge
from yingke.tracking import cadence, services
from yingke.tracking.models import Commitment, FollowUp, Source, Task


def log(customer, summary, days_ago, actor):
    return services.log_follow_up(actor, customer, channel="phone", outcome="reached", summary=summary,
                                  occurred_at=timezone.now() - dt.timedelta(days=days_ago))


@pytest.fixture
def twin(world):
    return make_customer(world.h1, "C901", "张三", owner=world.am1, mobile="13812345679")


def test_the_survivors_follow_ups_are_numbered_again_in_time(world, twin):
    for summary, days in (("s1", 20), ("s2", 10), ("s3", 1)):
        log(world.c_am1, summary, days, world.am1)
    for summary, days in (("m1", 15), ("m2", 5)):
        log(twin, summary, days, world.am1)
    merge(world.gm, world.c_am1, twin)
    rows = list(FollowUp.objects.filter(customer=world.c_am1).order_by("ordinal").values_list("summary", "ordinal"))
    assert rows == [("s1", 1), ("m1", 2), ("s2", 3), ("m2", 4), ("s3", 5)]
    assert log(world.c_am1, "after", 0, world.am1).ordinal == 6


def test_a_failed_merge_leaves_the_numbers_as_they_were(world, twin):
    log(world.c_am1, "s1", 3, world.am1)
    log(twin, "m1", 5, world.am1)
    with pytest.raises(ValidationError):  # a person and an organisation
        merge(world.gm, world.c_am1, make_customer(world.h1, "O9", "公司", owner=world.am1, kind="organisation"))
    assert FollowUp.objects.get(summary="s1").ordinal == 1 and FollowUp.objects.get(summary="m1").ordinal == 1


def test_tasks_commitments_and_a_converted_leads_history_move(world, twin):
    lead = services.create_lead(world.am1, world.h1, name="张三", source=Source.MARKETING)
    log(lead, "lead", 30, world.am1)
    services.convert(world.am1, lead, customer=twin)
    task = services.add_task(world.am1, twin, title="回访", due_on=world.h1.local_today())
    promise = services.add_commitment(world.am1, twin, promised="送茶", due_on=world.h1.local_today())
    log(world.c_am1, "s1", 2, world.am1)
    merge(world.gm, world.c_am1, twin)
    assert Task.objects.get(pk=task.pk).customer == world.c_am1
    assert Commitment.objects.get(pk=promise.pk).customer == world.c_am1
    assert list(FollowUp.objects.filter(customer=world.c_am1).order_by("ordinal").values_list("summary", "ordinal")) \
        == [("lead", 1), ("s1", 2)]
    assert lead.__class__.objects.get(pk=lead.pk).customer == world.c_am1


def test_two_cadence_tasks_of_one_rule_do_not_stop_the_merge(world, twin):
    cadence.run_scheduler(now=world.h1.day_start(world.h1.local_today() + dt.timedelta(days=3), dt.time(12)),
                          properties=[world.h1])
    assert Task.objects.filter(customer__in=[world.c_am1, twin]).count() == 2
    kept = Task.objects.get(customer=world.c_am1)
    merge(world.gm, world.c_am1, twin)
    assert list(Task.objects.filter(customer=world.c_am1)) == [kept]
