"""Grading runs (R-4): `run_grading` is the one path — CLI, web page, API and the nightly job
call it. The computation itself is in `grading.compute` (SQL, set-based)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from yingke.core import permissions
from yingke.core.permissions import GRADE
from yingke.grading import churn, compute
from yingke.grading.models import GradingPolicy, GradingRun


def lock_policy(property) -> GradingPolicy:
    """The property's grading parameters, locked until the end of the transaction: two runs
    of one property never interleave (PostgreSQL row lock; SQLite has one writer anyway)."""
    from yingke.grading.defaults import ensure_defaults

    policy = GradingPolicy.objects.select_for_update().filter(property_id=property.pk).first()
    if policy is None:
        ensure_defaults(property)
        policy = GradingPolicy.objects.select_for_update().get(property_id=property.pk)
    return policy


def previous_run(run: GradingRun) -> GradingRun | None:
    """The latest finished run of the property before `run` (by as-of date, then id)."""
    return (GradingRun.objects.filter(property_id=run.property_id, finished_at__isnull=False)
            .exclude(pk=run.pk)
            .filter(as_of__lte=run.as_of)
            .order_by("-as_of", "-id").first())


def run_grading(actor, property, as_of: dt.date | None = None,
                trigger: str = GradingRun.Trigger.COMMAND) -> GradingRun:
    """Grade every customer of `property` as of `as_of` (default: today, local) and store
    the snapshot (R-4.6). One transaction: the run, its entries, the customers' grades (an
    override wins over the computed grade and is kept; only when this run is the newest of the
    property by (as_of, id)), the churn flags, the counts.
    Raises PermissionDenied unless `actor` may grade the property."""
    permissions.require(actor, GRADE, property)
    if as_of is None:
        as_of = property.local_today()
    user = None if permissions.is_system(actor) else actor
    with transaction.atomic():
        compute.tune_transaction()
        policy = lock_policy(property)
        window = compute.window_for(as_of, policy.window_days, property)
        run = GradingRun.objects.create(
            property=property, as_of=as_of, window_days=policy.window_days, a_share=policy.a_share,
            b_share=policy.b_share, trigger=trigger, created_by=user, started_at=timezone.now())
        compute.store_snapshot(run.pk, property.pk, window, policy.a_share, policy.b_share)
        # Only the newest run (by as-of date, then id) sets the grades in force; a run for an
        # older date is stored as a snapshot and changes no customer (the rule churn uses too).
        if churn.is_newest(run):
            compute.apply_grades(run.pk, property.pk)
        counts = compute.snapshot_counts(run.pk)
        run.a_count, run.b_count, run.c_count, run.d_count = (counts[g] for g in "ABCD")
        run.effective = run.a_count + run.b_count + run.c_count
        run.customers = run.effective + run.d_count
        run.visits = counts["visits"]
        run.amount = compute.cents_to_decimal(counts["cents"])
        compute.refresh_entry_statistics(run.customers)
        churn.flag_losses(run, previous_run(run))
        run.finished_at = timezone.now()
        run.save(update_fields=["a_count", "b_count", "c_count", "d_count", "effective", "customers", "visits",
                                "amount", "finished_at"])
    return run
