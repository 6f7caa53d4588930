"""The reports turn local days into instants only through core.models.Property (zone,
local_today, local_day, day_start): no second set of helpers in reports.aggregates; a property's
zone (including the fallback for a zone that does not exist) decides the day of a visit."""

import datetime as dt
import zoneinfo

import pytest

from yingke.reports import aggregates, dashboard
from yingke.reports.models import DailyOutletStat

from .conftest import visit


@pytest.mark.parametrize("name", ["zone", "local_start", "local_day", "today"])
def test_no_local_time_helpers_of_their_own(name):
    assert not hasattr(aggregates, name)


@pytest.mark.parametrize("tz,day", [("Europe/Berlin", dt.date(2026, 6, 1)), ("Not/AZone", dt.date(2026, 6, 2))])
def test_the_day_of_a_visit_is_the_property_s(world, outlets, tz, day):
    prop = world.h1
    prop.time_zone = tz
    prop.save()
    # 23:30 in Berlin on June 1 is 05:30 in Shanghai on June 2 (the fallback zone)
    visit(world.c_am1, dt.datetime(2026, 6, 1, 23, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")), 100,
          outlet=outlets.cn)
    aggregates.refresh_stale(prop)
    assert list(DailyOutletStat.objects.filter(property=prop).values_list("day", flat=True)) == [day]
    assert dashboard.default_period(prop).last.replace(day=1) == prop.local_today().replace(day=1)
