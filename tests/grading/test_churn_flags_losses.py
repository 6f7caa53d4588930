"""R-9.1: an effective customer (A, B or C) who becomes D at a grading run is flagged as lost,
once; an open loss is won back when the customer is effective again; only the newest run of
the property changes losses; flagging is set-based."""

import datetime as dt

import pytest

from tests.conftest import make_customer
from yingke.customers.models import Module
from yingke.grading import churn
from yingke.grading.models import GradeEntry, GradingRun, Loss

D1, D2, D3 = dt.date(2026, 9, 30), dt.date(2026, 10, 31), dt.date(2026, 11, 27)


def make_run(prop, as_of, grades: dict):
    """A finished run with one entry per customer: {customer: grade}."""
    run = GradingRun.objects.create(property=prop, as_of=as_of, window_days=60, a_share=20, b_share=50,
                                    trigger=GradingRun.Trigger.COMMAND)
    GradeEntry.objects.bulk_create([GradeEntry(run=run, customer=c, grade=g, visits=0 if g == "D" else 1)
                                    for c, g in grades.items()])
    return run


@pytest.fixture
def runs(world):
    w = world
    gov = Module.objects.get(property=w.h1, code="government")
    w.c_am1.module = gov
    w.c_am1.save(update_fields=["module"])
    w.run1 = make_run(w.h1, D1, {w.c_am1: "A", w.c_am2: "B", w.c_am3: "D", w.c_pool: "C"})
    w.run2 = make_run(w.h1, D2, {w.c_am1: "D", w.c_am2: "D", w.c_am3: "D", w.c_pool: "C"})
    return w


def test_effective_customers_who_become_d_are_flagged_with_owner_module_and_grade_before(runs):
    w = runs
    assert churn.flag_losses(w.run2, w.run1) == (2, 0)
    losses = {loss.customer_id: loss for loss in Loss.objects.all()}
    assert set(losses) == {w.c_am1.pk, w.c_am2.pk}  # c_am3 was D already, c_pool is still C
    one = losses[w.c_am1.pk]
    assert (one.lost_on, one.previous_grade, one.owner_id, one.run_id, one.property_id) == (
        D2, "A", w.am1.pk, w.run2.pk, w.h1.pk)
    assert one.module.code == "government" and losses[w.c_am2.pk].module is None
    assert losses[w.c_am2.pk].previous_grade == "B"
    assert one.reason is None and one.won_back_on is None
    # audited: a "created" history row per loss
    assert Loss.history.filter(history_type="+").count() == 2


def test_a_customer_has_at_most_one_open_loss(runs):
    w = runs
    churn.flag_losses(w.run2, w.run1)
    assert churn.flag_losses(w.run2, w.run1) == (0, 0)  # again: the open loss is there
    # a later run for which the customer is still D after being C in between? not possible
    # without a win-back; a run where the previous run is again effective while a loss is open:
    run3 = make_run(w.h1, D3, {w.c_am1: "D", w.c_am2: "D", w.c_am3: "D", w.c_pool: "C"})
    assert churn.flag_losses(run3, w.run1) == (0, 0)
    assert Loss.objects.filter(customer=w.c_am1, won_back_on__isnull=True).count() == 1


def test_an_open_loss_is_won_back_when_the_customer_is_effective_again(runs):
    w = runs
    churn.flag_losses(w.run2, w.run1)
    run3 = make_run(w.h1, D3, {w.c_am1: "B", w.c_am2: "D", w.c_am3: "C", w.c_pool: "C"})
    assert churn.flag_losses(run3, w.run2) == (0, 1)
    back = Loss.objects.get(customer=w.c_am1)
    assert back.won_back_on == D3 and back.won_back_run_id == run3.pk
    assert Loss.objects.get(customer=w.c_am2).won_back_on is None
    assert not Loss.objects.filter(customer=w.c_am3).exists()  # D → C is not a loss nor a win-back
    assert back.history.filter(history_type="~").count() == 1
    # lost again later: a new loss, the old one stays closed
    run4 = make_run(w.h1, D3 + dt.timedelta(days=30), {w.c_am1: "D", w.c_am2: "D", w.c_am3: "C", w.c_pool: "C"})
    assert churn.flag_losses(run4, run3) == (1, 0)
    assert Loss.objects.filter(customer=w.c_am1).count() == 2
    assert Loss.objects.filter(customer=w.c_am1, won_back_on__isnull=True).count() == 1


def test_a_run_for_an_older_date_flags_nothing(runs):
    w = runs
    newer = make_run(w.h1, D3, {w.c_am1: "A", w.c_am2: "A", w.c_am3: "A", w.c_pool: "A"})
    assert churn.flag_losses(w.run2, w.run1) == (0, 0)  # run2 is for an older date than `newer`
    assert not Loss.objects.exists()
    assert churn.is_newest(newer) and not churn.is_newest(w.run2)


def test_of_two_runs_for_one_date_only_the_later_one_flags(runs):
    w = runs
    twin = make_run(w.h1, D2, {w.c_am1: "D", w.c_am2: "D", w.c_am3: "D", w.c_pool: "C"})
    assert churn.flag_losses(w.run2, w.run1) == (0, 0)
    assert churn.flag_losses(twin, w.run1) == (2, 0)
    assert churn.flag_losses(twin, w.run1) == (0, 0)
    assert Loss.objects.filter(won_back_on__isnull=True).count() == 2


def test_runs_of_another_property_do_not_interfere(runs):
    w = runs
    make_run(w.h2, D3, {w.c_h2: "A"})  # a newer run, but of H2
    assert churn.flag_losses(w.run2, w.run1) == (2, 0)
    assert churn.flag_losses(None, None) == (0, 0)
    first = make_run(w.h2, D1, {w.c_h2: "D"})
    assert churn.flag_losses(first, None) == (0, 0)  # no previous run: nothing to lose


def test_flagging_is_set_based(world, django_assert_max_num_queries):
    """The number of queries does not grow with the number of customers lost or won back."""
    people = [make_customer(world.h1, f"P{i:03d}", f"客人{i}") for i in range(40)]
    run1 = make_run(world.h1, D1, dict.fromkeys(people, "A"))
    run2 = make_run(world.h1, D2, {c: ("D" if i % 2 else "B") for i, c in enumerate(people)})
    with django_assert_max_num_queries(12):
        assert churn.flag_losses(run2, run1) == (20, 0)
    run3 = make_run(world.h1, D3, dict.fromkeys(people, "C"))
    with django_assert_max_num_queries(12):
        assert churn.flag_losses(run3, run2) == (0, 20)


def test_the_grading_engine_flags_losses_at_its_runs(world):
    """End to end: two runs of the real engine; a guest with visits only before the second
    run's window becomes D and is flagged."""
    from django.utils import timezone

    from yingke.core.permissions import SYSTEM
    from yingke.grading.services import run_grading
    from yingke.visits.models import Visit

    when = timezone.make_aware(dt.datetime(2026, 9, 1, 12, 0))
    Visit.objects.create(property=world.h1, customer=world.c_am1, amount=500, occurred_at=when)
    Visit.objects.create(property=world.h1, customer=world.c_am2, amount=300, occurred_at=when)
    Visit.objects.create(property=world.h1, customer=world.c_am2, amount=300,
                         occurred_at=when + dt.timedelta(days=50))
    run_grading(SYSTEM, world.h1, as_of=dt.date(2026, 9, 10))
    assert not Loss.objects.exists()
    run_grading(SYSTEM, world.h1, as_of=dt.date(2026, 11, 5))  # c_am1's visit is 65 days back
    assert list(Loss.objects.values_list("customer_id", flat=True)) == [world.c_am1.pk]
