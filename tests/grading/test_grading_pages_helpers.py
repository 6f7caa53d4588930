"""Test helpers for the grading pages and API: a run with its snapshot written directly."""

import datetime as dt
from decimal import Decimal

from django.test import Client

from yingke.customers.models import Customer
from yingke.grading.models import GradeEntry, GradingRun

GRADES_OF = {"C001": "A", "C002": "B", "C003": "C", "C004": "D"}


def make_run(prop, as_of=dt.date(2026, 11, 1), grades=None, user=None, apply=True):
    """A finished run of `prop` with one entry per customer (grade by code; D otherwise), and
    the customers' computed grades set the way the engine does (an override stays in force)."""
    grades = grades or GRADES_OF
    run = GradingRun.objects.create(property=prop, as_of=as_of, window_days=60, a_share=Decimal(20),
                                    b_share=Decimal(50), trigger=GradingRun.Trigger.WEB, created_by=user)
    counts = dict.fromkeys("ABCD", 0)
    customers = sorted(Customer.objects.filter(property=prop), key=lambda c: (grades.get(c.customer_code, "D"), c.pk))
    for i, c in enumerate(customers, 1):
        g = grades.get(c.customer_code, "D")
        counts[g] += 1
        effective = g != "D"
        GradeEntry.objects.create(
            run=run, customer=c, grade=g, position=i, visits=3 if effective else 0,
            amount=Decimal("900.00") if effective else Decimal(0),
            standard=Decimal("300.00") if effective else None, rank_visits=i if effective else None,
            rank_amount=i if effective else None)
        if apply:
            Customer.objects.filter(pk=c.pk).update(grade_computed=g)
            if not hasattr(c, "grade_override") or not _has_override(c):
                Customer.objects.filter(pk=c.pk).update(grade=g)
    GradingRun.objects.filter(pk=run.pk).update(
        a_count=counts["A"], b_count=counts["B"], c_count=counts["C"], d_count=counts["D"],
        effective=counts["A"] + counts["B"] + counts["C"], customers=sum(counts.values()))
    run.refresh_from_db()
    return run


def _has_override(c) -> bool:
    from yingke.grading.models import GradeOverride

    return GradeOverride.objects.filter(customer_id=c.pk).exists()


def client_for(user):
    """A test client logged in as `user`."""
    c = Client()
    c.force_login(user)
    return c
