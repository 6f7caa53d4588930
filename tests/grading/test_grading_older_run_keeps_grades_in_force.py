"""A run for a date older than the property's newest run stores its snapshot but does not
change the grades in force; a newer run sets them again (the rule churn uses: churn.is_newest)."""

import datetime as dt

import pytest

from yingke.core.permissions import SYSTEM
from yingke.customers.models import Customer
from yingke.grading.models import GradeEntry
from yingke.grading.services import run_grading

from .grading_factories import add_visits, local, make_customers, make_property

D = dt.date(2026, 3, 31)


@pytest.mark.django_db
def test_an_older_run_is_stored_but_changes_no_grade_then_a_newer_run_does():
    prop = make_property(window=30)
    (k,) = make_customers(prop, 1)
    add_visits([(prop, k, local(prop.time_zone, D), "100.00", False)])
    run_grading(SYSTEM, prop, as_of=D)
    assert Customer.objects.values_list("grade", "grade_computed").get(pk=k.pk) == ("A", "A")

    older = run_grading(SYSTEM, prop, as_of=D - dt.timedelta(days=60))  # the visit is not in its window
    assert GradeEntry.objects.get(run=older, customer=k).grade == "D"  # the snapshot is stored
    assert Customer.objects.values_list("grade", "grade_computed").get(pk=k.pk) == ("A", "A")

    newer = run_grading(SYSTEM, prop, as_of=D + dt.timedelta(days=40))
    assert GradeEntry.objects.get(run=newer, customer=k).grade == "D"
    assert Customer.objects.values_list("grade", "grade_computed").get(pk=k.pk) == ("D", "D")


@pytest.mark.django_db
def test_a_second_run_for_the_same_date_is_the_newest():
    prop = make_property(window=30)
    (k,) = make_customers(prop, 1)
    run_grading(SYSTEM, prop, as_of=D)
    assert Customer.objects.get(pk=k.pk).grade == "D"
    add_visits([(prop, k, local(prop.time_zone, D), "100.00", False)])
    run_grading(SYSTEM, prop, as_of=D)  # same date, made later: in force
    assert Customer.objects.get(pk=k.pk).grade == "A"
