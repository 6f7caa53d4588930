"""R-6.1: two claims of one free file at the same moment give it to exactly one person; the
other is told clearly ("someone claimed this file a moment ago": Conflict, 409 in the API).

Two real transactions on two connections (threads released together by a barrier), on the
database of the run: PostgreSQL in the PostgreSQL run of `make test` (the file's row lock,
SELECT … FOR UPDATE, makes the second wait and then read the new owner), SQLite in the SQLite
run (BEGIN IMMEDIATE takes the write lock, so the second transaction starts after the first
commits). The winner holds its transaction open a moment after moving the file, so the two
always overlap. Neither run skips these tests.

SQLite's test database is in memory with a shared cache, where a second writer fails at once
("database table is locked") instead of waiting for the lock: that is not how Yingke runs.
On SQLite the threads therefore work on a file copy of the test database, opened with the
production settings (WAL, busy_timeout, BEGIN IMMEDIATE: settings.DATABASES), and the test
reads the outcome from that file (`db_read`).
"""

import time

import pytest
from django.db import connection

from tests.races import db_read, race, shared_database
from yingke.control import claims, ownership
from yingke.control.models import Assignment, Claim
from yingke.core.services import Conflict
from yingke.customers.models import Customer

pytestmark = pytest.mark.django_db(transaction=True)
HOLD = 0.4  # seconds the winner keeps its transaction open after moving the file


@pytest.fixture(autouse=True)
def shared_db(world, tmp_path):
    """PostgreSQL: the test database itself. SQLite: a file copy of it (see the docstring)."""
    with shared_database(tmp_path):
        yield


@pytest.fixture
def slow_move(monkeypatch):
    """ownership.move as it is, then a pause inside the caller's transaction."""
    real = ownership.move

    def move(*args, **kwargs):
        moved = real(*args, **kwargs)
        time.sleep(HOLD)
        return moved

    monkeypatch.setattr(ownership, "move", move)


def test_two_claims_of_a_free_file_give_it_to_exactly_one(world, slow_move):
    assert connection.vendor in ("postgresql", "sqlite")
    pool = world.c_pool
    seen = [Customer.objects.get(pk=pool.pk) for _ in range(2)]  # both see it in the pool
    results, errors = race(lambda: claims.claim(world.am1, seen[0], "我先"),
                           lambda: claims.claim(world.am2, seen[1], "我也要"))
    winners = [i for i, r in enumerate(results) if r is not None]
    losers = [i for i, e in enumerate(errors) if e is not None]
    assert len(winners) == 1 and len(losers) == 1, (results, errors)
    lost = errors[losers[0]]
    assert isinstance(lost, Conflict), repr(lost)
    assert "刚刚已有人认领" in " ".join(lost.messages)  # "someone claimed this file a moment ago"
    winner = (world.am1, world.am2)[winners[0]]
    assert db_read(lambda: Customer.objects.get(pk=pool.pk).owner_id) == winner.pk
    assert db_read(lambda: list(Assignment.objects.filter(customer=pool).values_list("owner_id", "rule"))) == [
        (winner.pk, Assignment.Rule.CLAIM)]
    assert not db_read(lambda: Claim.objects.exists())


def test_two_identical_requests_at_once_leave_one_pending_claim(world, slow_move, monkeypatch):
    """A double submit of a claim of an owned file: the file's lock serialises the check."""
    real_create = Claim.objects.create

    def create(**kwargs):
        made = real_create(**kwargs)
        time.sleep(HOLD)
        return made

    monkeypatch.setattr(Claim.objects, "create", create)
    results, errors = race(lambda: claims.claim_by_code(world.am2, world.h1, "C001", "一"),
                           lambda: claims.claim_by_code(world.am2, world.h1, "C001", "二"))
    assert sum(r is not None for r in results) == 1, (results, errors)
    assert [type(e) for e in errors if e is not None] == [Conflict]
    assert db_read(lambda: Claim.objects.filter(status=Claim.Status.PENDING).count()) == 1


def test_an_approval_and_a_withdrawal_at_once_do_not_both_win(world, slow_move):
    made = db_read(lambda: claims.claim_by_code(world.am2, world.h1, "C001", "要").claim)
    results, errors = race(lambda: claims.approve(world.sm, made, "同意"),
                           lambda: claims.withdraw(world.am2, made))
    assert sum(r is not None for r in results) == 1, (results, errors)
    assert [type(e) for e in errors if e is not None] == [Conflict]
    status = db_read(lambda: Claim.objects.get(pk=made.pk).status)
    owner = db_read(lambda: Customer.objects.get(pk=world.c_am1.pk).owner_id)
    assert (status, owner) in [(Claim.Status.APPROVED, world.am2.pk), (Claim.Status.WITHDRAWN, world.am1.pk)]


def test_through_the_api_one_gets_201_and_the_other_409(world, slow_move, settings):
    from tests.api.helpers import token_client
    a, b = db_read(lambda: (token_client(world.am1), token_client(world.am2)))
    path = f"/api/customers/{world.c_pool.pk}/claim"
    results, errors = race(lambda: a.post(path, {"reason": "我先", "from_pool": True}),
                           lambda: b.post(path, {"reason": "我也要", "from_pool": True}))
    assert errors == [None, None]
    assert sorted(r.status_code for r in results) == [201, 409], [r.content for r in results]
    lost = next(r for r in results if r.status_code == 409)
    assert lost.json()["detail"]
    assert db_read(lambda: Assignment.objects.filter(customer=world.c_pool).count()) == 1
