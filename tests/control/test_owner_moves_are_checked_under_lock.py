"""R-6.1, R-6.2: what a mover of owners checked is checked again on the locked rows.

* The rules (the job, "apply the rules now") give an owner only to files still without one:
  a queued file that got an owner meanwhile is skipped and leaves the queue. A handover by
  the rules moves only files the leaving member still owns.
* Assigning one file of the queue by hand: only while it has no owner (Conflict otherwise).
* Bulk assignment from the list / the API: all or nothing; a file that changed hands between
  the check and the lock is Conflict and nothing moves. Releasing, and taking pool files for
  oneself (a claim), need a reason.

The races run twice, like tests/control/test_claims_race.py: real transactions on two
connections, PostgreSQL (row locks) in the PostgreSQL run and SQLite (BEGIN IMMEDIATE, on a
file copy of the test database) in the SQLite run; neither run skips them.
"""

import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from tests.api.helpers import token_client
from tests.control.test_claims_race import slow_move  # noqa: F401 - a fixture
from tests.races import db_read, race, shared_database
from yingke.control import assignment, claims, ownership
from yingke.control.models import Assignment, Handover, Unassigned
from yingke.core.permissions import SYSTEM
from yingke.core.services import Conflict
from yingke.customers.models import Customer

R = Assignment.Rule


def owner_of(c):
    return Customer.objects.get(pk=c.pk).owner_id


def stale_queue_entry(world, c, owner):
    """A file left in the queue although it has an owner (written past the mover)."""
    Unassigned.objects.create(property=world.h1, customer=c, reason="no rule")
    Customer.objects.filter(pk=c.pk).update(owner=owner)


# ---- the rules: only files still without an owner --------------------------------------------

def test_apply_rules_now_skips_a_queued_file_that_has_an_owner_and_drops_its_queue_row(world):
    stale_queue_entry(world, world.c_pool, world.am3)  # am3 is outside sm's team: sm cannot see it
    client = Client()
    client.force_login(world.sm)
    r = client.post("/control/queue/apply/", {"property": "H1"})
    assert r.status_code == 302
    assert owner_of(world.c_pool) == world.am3.pk
    assert not Assignment.objects.filter(customer=world.c_pool).exists()
    assert not Unassigned.objects.filter(customer=world.c_pool).exists()


def test_the_queue_does_not_list_a_file_that_has_an_owner(world):
    stale_queue_entry(world, world.c_pool, world.am1)
    assert not assignment.queue(world.gm, world.h1).exists()


def test_assign_by_rules_without_a_handover_moves_only_files_without_an_owner(world):
    counts = assignment.assign_by_rules(SYSTEM, [world.c_pool.pk, world.c_am1.pk, world.c_am3.pk], reason="job")
    assert sum(n for rule, n in counts.items() if rule != R.QUEUE) + counts.get(R.QUEUE, 0) == 1
    assert (owner_of(world.c_am1), owner_of(world.c_am3)) == (world.am1.pk, world.am3.pk)
    assert list(Assignment.objects.values_list("customer_id", flat=True)) in ([world.c_pool.pk], [])


def test_a_handover_by_the_rules_moves_only_files_the_leaver_still_owns(world):
    h = Handover.objects.create(from_user=world.am1, reason="离职", actor=world.gm)
    assignment.assign_by_rules(world.gm, [world.c_am1.pk, world.c_am2.pk, world.c_pool.pk], reason="离职",
                               handover=h, exclude=[world.am1.pk])
    assert owner_of(world.c_am1) != world.am1.pk
    assert (owner_of(world.c_am2), owner_of(world.c_pool)) == (world.am2.pk, None)
    assert set(Assignment.objects.values_list("customer_id", flat=True)) == {world.c_am1.pk}


# ---- one file of the queue by hand ------------------------------------------------------------

def test_assign_one_refuses_a_file_that_got_an_owner(world):
    Unassigned.objects.create(property=world.h1, customer=world.c_pool, reason="no rule")
    seen = Customer.objects.get(pk=world.c_pool.pk)  # in the queue, as the page showed it
    Customer.objects.filter(pk=world.c_pool.pk).update(owner=world.am3)  # claimed meanwhile
    with pytest.raises(Conflict):
        assignment.assign_one(world.sm, seen, world.am1)
    assert owner_of(world.c_pool) == world.am3.pk
    assert not Assignment.objects.exists()


def test_assign_one_gives_a_queued_file_its_owner(world):
    Unassigned.objects.create(property=world.h1, customer=world.c_pool, reason="no rule")
    assert assignment.assign_one(world.sm, Customer.objects.get(pk=world.c_pool.pk), world.am1)
    assert owner_of(world.c_pool) == world.am1.pk
    assert not Unassigned.objects.exists()


# ---- the mover's own check ------------------------------------------------------------------------

def test_move_with_a_stale_expectation_moves_nothing(world):
    ids = [world.c_am1.pk, world.c_pool.pk]
    with pytest.raises(Conflict) as e:
        ownership.move(world.gm, ids, world.am3, rule=R.BULK, reason="x",
                       expect={world.c_am1.pk: world.am1.pk, world.c_pool.pk: world.am2.pk})
    assert "1" in e.value.messages[0] and "2" in e.value.messages[0]
    assert (owner_of(world.c_am1), owner_of(world.c_pool)) == (world.am1.pk, None)
    assert not Assignment.objects.exists()
    moved = ownership.move(world.gm, ids, world.am3, rule=R.BULK, reason="x",
                           expect={world.c_am1.pk: world.am1.pk, world.c_pool.pk: None})
    assert moved == ids


def test_move_only_from_skips_files_of_other_owners(world):
    moved = ownership.move(world.gm, [world.c_am1.pk, world.c_am2.pk], world.am3, rule=R.HANDOVER, reason="x",
                           only_from=[world.am1.pk])
    assert moved == [world.c_am1.pk] and owner_of(world.c_am2) == world.am2.pk


# ---- bulk assignment: reasons -----------------------------------------------------------------------

def test_a_bulk_release_needs_a_reason(world):
    r = token_client(world.am1).post("/api/customers/assign", {"ids": [world.c_am1.pk], "owner": None})
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    assert owner_of(world.c_am1) == world.am1.pk
    r = token_client(world.am1).post("/api/customers/assign", {"ids": [world.c_am1.pk], "owner": None,
                                                               "reason": "不再跟进"})
    assert r.status_code == 200 and owner_of(world.c_am1) is None
    assert list(Assignment.objects.values_list("rule", "reason")) == [(R.RELEASE, "不再跟进")]


def test_taking_pool_files_for_oneself_in_bulk_needs_a_reason(world):
    api = token_client(world.am2)
    r = api.post("/api/customers/assign", {"ids": [world.c_pool.pk, world.c_am2.pk], "owner": world.am2.pk})
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    assert owner_of(world.c_pool) is None and not Assignment.objects.exists()
    r = api.post("/api/customers/assign", {"ids": [world.c_am2.pk], "owner": world.am2.pk})  # already theirs
    assert r.status_code == 200 and r.json()["moved"] == 0
    r = api.post("/api/customers/assign", {"ids": [world.c_pool.pk], "owner": world.am2.pk, "reason": "老客户"})
    assert r.status_code == 200 and owner_of(world.c_pool) == world.am2.pk


def test_a_manager_assigning_pool_files_to_someone_else_needs_no_reason(world):
    r = token_client(world.sm).post("/api/customers/assign", {"ids": [world.c_pool.pk], "owner": world.am1.pk})
    assert r.status_code == 200 and owner_of(world.c_pool) == world.am1.pk


def test_the_list_bulk_bar_asks_for_the_reason_and_tells_why(world):
    client = Client()
    client.force_login(world.am1)
    page = client.get("/customers/").content.decode()
    bar = page[page.index('id="bulk-assign"'):]
    assert 'name="reason"' in bar[:bar.index("</form>")]
    r = client.post("/control/assign/", {"ids": [world.c_am1.pk], "owner": "pool", "next": "/customers/"},
                    follow=True)
    assert owner_of(world.c_am1) == world.am1.pk
    said = " ".join(str(m) for m in r.context["messages"])
    assert "原因" in said or "reason" in said.lower()


# ---- races: two real transactions ---------------------------------------------------------------

@pytest.fixture
def shared(world, tmp_path):
    """As tests/control/test_claims_race.shared_db: PostgreSQL as it is; SQLite a file copy."""
    with shared_database(tmp_path):
        yield


def later(fn):
    def run():
        time.sleep(0.1)  # after the claim has locked the file (and holds it: slow_move)
        return fn()
    return run


def lost(errors):
    """The second call's error: refused, never a server error. PostgreSQL reads the file before
    the lock (Conflict under it); SQLite's BEGIN IMMEDIATE waits first (then it is not visible
    or not free: a ValidationError)."""
    assert errors[0] is None and errors[1] is not None, errors
    assert isinstance(errors[1], ValidationError), repr(errors[1])
    if connection.vendor == "postgresql":
        assert isinstance(errors[1], Conflict), repr(errors[1])


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared", "slow_move")
def test_a_bulk_assign_does_not_take_a_file_claimed_a_moment_earlier(world):
    pool = world.c_pool
    seen = Customer.objects.get(pk=pool.pk)
    results, errors = race(lambda: claims.claim(world.am1, seen, "我先"),
                           later(lambda: assignment.bulk_assign(world.am2, [pool.pk], world.am2, "我的")))
    lost(errors)
    assert db_read(lambda: Customer.objects.get(pk=pool.pk).owner_id) == world.am1.pk
    assert db_read(lambda: list(Assignment.objects.values_list("rule", "owner_id"))) == [(R.CLAIM, world.am1.pk)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared", "slow_move")
def test_a_bulk_assign_of_several_files_moves_none_when_one_was_claimed(world):
    pool, mine = world.c_pool, world.c_am1
    seen = Customer.objects.get(pk=pool.pk)
    results, errors = race(lambda: claims.claim(world.am3, seen, "我先"),  # am3: outside sm's team
                           later(lambda: assignment.bulk_assign(world.sm, [pool.pk, mine.pk], world.am2, "调整")))
    lost(errors)
    assert db_read(lambda: (Customer.objects.get(pk=pool.pk).owner_id, Customer.objects.get(pk=mine.pk).owner_id)) \
        == (world.am3.pk, world.am1.pk)
    assert db_read(lambda: Assignment.objects.filter(rule=R.BULK).count()) == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared", "slow_move")
def test_assigning_from_the_queue_does_not_override_a_claim(world):
    pool = world.c_pool
    seen = Customer.objects.get(pk=pool.pk)
    results, errors = race(lambda: claims.claim(world.am3, seen, "我先"),
                           later(lambda: assignment.assign_one(world.sm, Customer.objects.get(pk=pool.pk),
                                                               world.am1)))
    assert errors[0] is None and isinstance(errors[1], Conflict), errors
    assert db_read(lambda: Customer.objects.get(pk=pool.pk).owner_id) == world.am3.pk
    assert db_read(lambda: Assignment.objects.filter(rule=R.MANUAL).count()) == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared", "slow_move")
def test_applying_the_rules_does_not_move_a_file_claimed_a_moment_earlier(world):
    pool = world.c_pool
    Unassigned.objects.create(property=world.h1, customer=pool, reason="no rule")
    if connection.vendor == "sqlite":  # the threads work on a copy made before this row: write it there too
        race(lambda: Unassigned.objects.get_or_create(property=world.h1, customer=pool, defaults={"reason": "x"}))
    seen = Customer.objects.get(pk=pool.pk)
    results, errors = race(lambda: claims.claim(world.am3, seen, "我先"),
                           later(lambda: assignment.apply_rules_now(world.sm, world.h1)))
    assert errors == [None, None], errors
    assert db_read(lambda: Customer.objects.get(pk=pool.pk).owner_id) == world.am3.pk
    assert db_read(lambda: list(Assignment.objects.filter(customer=pool).values_list("rule", flat=True))) == [
        R.CLAIM]
    assert not db_read(lambda: Unassigned.objects.filter(customer=pool).exists())
