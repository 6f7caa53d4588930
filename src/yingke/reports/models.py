"""Report aggregates for the management dashboard (R-11.1, R-11.2).

The dashboard never scans visits on a page view. Two tables are kept, both derived from
visits (never edited by hand, rebuilt at will):

- `DailyOutletStat`: one row per property × outlet × local day × meal period with the
  tables served (visits), covers, revenue, the same for managed customers (files with an
  account manager when the day was aggregated), and room nights for a rooms outlet.
- `CustomerMonthStat`: one row per property × customer × local month with visits,
  covers and revenue (Pareto, team figures of a sales manager).

`StaleDay` marks the local days whose visits changed since they were aggregated (written
by the visits_changed receiver in the change's transaction); reports.aggregates refreshes
them set-based (INSERT … SELECT … GROUP BY per day / per month).
"""

import datetime as dt
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingke.core.models import Outlet, Property, User
from yingke.customers.models import Customer


class MealPeriod(models.Model):
    """A meal period of a property (上桌率 per period). A property without rows uses
    DEFAULT_MEAL_PERIODS; a visit outside every period counts as "other"."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="meal_periods",
                                 verbose_name=_("property"))
    code = models.CharField(_("code"), max_length=12)
    name = models.CharField(_("name"), max_length=40)
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))

    class Meta:
        verbose_name = _("meal period")
        verbose_name_plural = _("meal periods")
        ordering = ["property", "starts"]
        constraints = [models.UniqueConstraint(fields=["property", "code"], name="meal_period_code_unique")]

    def __str__(self):
        return f"{self.name} {self.starts:%H:%M}–{self.ends:%H:%M}"


DEFAULT_MEAL_PERIODS = [
    ("breakfast", _("Breakfast"), dt.time(6, 0), dt.time(10, 0)),
    ("lunch", _("Lunch"), dt.time(10, 30), dt.time(14, 30)),
    ("dinner", _("Dinner"), dt.time(16, 30), dt.time(21, 30)),
]
OTHER_PERIOD = "other"
ALL_DAY = "day"  # the one "period" of a rooms outlet


class DailyOutletStat(models.Model):
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+", db_index=False)
    outlet = models.ForeignKey(Outlet, null=True, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    period = models.CharField(max_length=12)
    visits = models.PositiveIntegerField(default=0)
    covers = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    managed_visits = models.PositiveIntegerField(default=0)
    managed_covers = models.PositiveIntegerField(default=0)
    managed_revenue = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    room_nights = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["property", "day"], name="daily_stat_prop_day")]

    def __str__(self):
        return f"{self.day} {self.outlet_id} {self.period}"


class CustomerMonthStat(models.Model):
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    # The file's account manager when the month was aggregated (team figures: report_rule
    # applies to this model directly, with no join to the customers).
    owner = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    month = models.DateField()  # the first day of the local month
    visits = models.PositiveIntegerField(default=0)
    covers = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))

    class Meta:
        indexes = [
            models.Index(fields=["property", "month", "customer", "revenue"], name="cust_month_prop"),
            models.Index(fields=["owner", "month"], name="cust_month_owner"),
            models.Index(fields=["customer"], name="cust_month_customer"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.customer_id}"


class OwnerMonthStat(models.Model):
    """CustomerMonthStat summed per account manager (a sales manager's monthly team figures
    without reading every customer-month: report_rule applies to it directly)."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+", db_index=False)
    owner = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    month = models.DateField()
    visits = models.PositiveIntegerField(default=0)
    covers = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))

    class Meta:
        indexes = [models.Index(fields=["property", "month"], name="owner_month_prop")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.owner_id}"


class RunGradeStat(models.Model):
    """A grading snapshot summed per account manager and grade (written once per run: snapshots
    do not change; the owner is the file's when the run was summed). Effective customers,
    grade counts and their revenue per run without reading the run's entries again; report_rule
    applies to it directly (property, owner)."""

    run = models.ForeignKey("grading.GradingRun", on_delete=models.CASCADE, related_name="+")
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+", db_index=False)
    owner = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    grade = models.CharField(max_length=1)
    customers = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "owner", "grade"], name="reports_rungradestat_once")]

    def __str__(self):
        return f"{self.run_id} {self.owner_id} {self.grade}"


class ReportCache(models.Model):
    """A computed report result shared by every web process and the job worker (the Django
    cache is per process by default): the Pareto of a period, the migration between two runs."""

    key = models.CharField(max_length=200, unique=True)
    version = models.PositiveBigIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField()

    def __str__(self):
        return self.key


class StaleDay(models.Model):
    """A local day of a property whose aggregates must be recomputed."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["property", "day"], name="stale_day_unique")]

    def __str__(self):
        return f"{self.property_id} {self.day}"


class ReportState(models.Model):
    """Per property: `version` grows with every refresh (part of cache keys)."""

    property = models.OneToOneField(Property, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveBigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True)

    def __str__(self):
        return f"{self.property_id} v{self.version}"
