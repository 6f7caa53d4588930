"""A sales manager's grade migration matrix (kept in ReportCache: snapshots do not change)
follows the team's files: a file given to or taken from the team, or an account manager
joining the team, shows in the next view; the general manager's matrix stays cached."""

import datetime as dt

from yingke.customers.models import Customer
from yingke.reports import dashboard
from yingke.reports.models import ReportCache

from .conftest import snapshot


def matrix(user, prop, runs):
    data = dashboard.dashboard(user, prop, dashboard.default_period(prop), runs[0].pk, runs[1].pk)
    return {r["from"]: {g: r[g] for g in "ABCD" if r[g]} for r in data["migration"]["rows"] if r["total"]}


def two_runs(world):
    today = world.h1.local_today()
    first = snapshot(world.h1, today - dt.timedelta(days=20), {world.c_am1: ("B", 100), world.c_am2: ("C", 50),
                                                               world.c_am3: ("C", 40)})
    second = snapshot(world.h1, today, {world.c_am1: ("A", 900), world.c_am2: ("C", 60), world.c_am3: ("B", 80)})
    return first, second


def test_a_file_taken_from_the_team_leaves_the_matrix(world):
    runs = two_runs(world)
    assert matrix(world.sm, world.h1, runs) == {"B": {"A": 1}, "C": {"C": 1}}
    Customer.objects.filter(pk=world.c_am2.pk).update(owner=world.am3)  # a bulk transfer: no save()
    assert matrix(world.sm, world.h1, runs) == {"B": {"A": 1}}


def test_an_account_manager_joining_the_team_brings_their_files(world):
    runs = two_runs(world)
    assert matrix(world.sm, world.h1, runs) == {"B": {"A": 1}, "C": {"C": 1}}
    world.am3.manager = world.sm
    world.am3.save(update_fields=["manager"])
    assert matrix(world.sm, world.h1, runs) == {"B": {"A": 1}, "C": {"C": 1, "B": 1}}


def test_the_whole_property_matrix_is_computed_once(world):
    runs = two_runs(world)
    expected = {"B": {"A": 1}, "C": {"C": 1, "B": 1}}
    assert matrix(world.gm, world.h1, runs) == expected
    key = f"reports:migration:{runs[0].pk}:{runs[1].pk}:all"
    computed_at = ReportCache.objects.get(key=key).computed_at
    assert matrix(world.gm, world.h1, runs) == expected
    assert ReportCache.objects.get(key=key).computed_at == computed_at
