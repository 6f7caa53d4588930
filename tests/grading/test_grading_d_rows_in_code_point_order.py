"""The D rows of a snapshot follow the customer code in code-point order on SQLite and
PostgreSQL alike (PostgreSQL COLLATE "C"; a linguistic collation would mix case and ignore
punctuation)."""

import datetime as dt

import pytest

from yingke.core.permissions import SYSTEM
from yingke.customers.models import Customer
from yingke.grading.models import GradeEntry
from yingke.grading.services import run_grading

from .grading_factories import make_property

CODES = ["b", "a_1", "B", "a-1", "_x", "A1", "a1", "-z"]


@pytest.mark.django_db
def test_d_rows_are_ordered_by_code_points():
    prop = make_property()
    Customer.objects.bulk_create([Customer(property=prop, customer_code=c, name=f"客人{c}") for c in CODES])
    run = run_grading(SYSTEM, prop, as_of=dt.date(2026, 3, 31))
    order = list(GradeEntry.objects.filter(run=run).order_by("position").values_list("customer__customer_code",
                                                                                      flat=True))
    assert order == sorted(CODES) == ["-z", "A1", "B", "_x", "a-1", "a1", "a_1", "b"]
