"""The import's fast paths give exactly the slow paths' answers (issue 12, speed):

- a batch's look-ups and writes give the same run whatever the batch size (documents found
  by the range probe or by look-up, values prepared for SQLite while parsing);
- core.db.insert_rows writes narrow rows many per statement on SQLite: every row, exactly,
  whatever the count against the statement size; a refused row is Django's IntegrityError;
- a datetime prepared as SQLite text (core.db.sqlite_datetime, done while parsing) is
  stored exactly as Django stores the aware value;
- the document look-up of a batch is chunked on PostgreSQL (index look-ups): every key found
  across chunk boundaries;
- new visits take their ids from the database's sequence on PostgreSQL: a visit added by
  hand afterwards gets a fresh id.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yingke.core.db import SQLITE_ROWS_PER_INSERT, insert_rows, sqlite_datetime
from yingke.customers.models import SearchKey
from yingke.imports import visits as visits_module
from yingke.imports.visits import VisitImporter
from yingke.visits.models import Visit

from .conftest import do_import, write_csv

HEADER = "单据号,客户编号,结账时间,实收,人数,餐厅"


def lines(n, start=0, bad_every=0):
    out = [HEADER]
    for i in range(start, start + n):
        when = "2026-02-30 12:00" if bad_every and i % bad_every == 0 else f"2026-10-{1 + i % 28:02d} 12:{i % 60:02d}"
        out.append(f"Q{i:05d},C00{1 + i % 4},{when},{10 + i}.50,{1 + i % 6},中餐厅")
    return out


# --- batches ----------------------------------------------------------------------------------

def test_small_batches_give_the_same_run_as_one_batch(world, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "a.csv", lines(45, bad_every=11))
    one = do_import("visits", path, world.h1)
    stored = sorted(Visit.objects.filter(property=world.h1).values_list(
        "doc_no", "customer_id", "occurred_at", "amount", "covers", "outlet_id"))
    Visit.objects.filter(property=world.h1).delete()
    monkeypatch.setattr(VisitImporter, "batch_size", 4)
    many = do_import("visits", write_csv(tmp_path / "b.csv", lines(45, bad_every=11)), world.h1)
    assert (one.run.created, one.run.rejected) == (many.run.created, many.run.rejected) == (40, 5)
    assert [(r.line, r.outcome, [(p.column, p.value, p.reason) for p in r.problems]) for r in one.results] == \
        [(r.line, r.outcome, [(p.column, p.value, p.reason) for p in r.problems]) for r in many.results]
    assert sorted(Visit.objects.filter(property=world.h1).values_list(
        "doc_no", "customer_id", "occurred_at", "amount", "covers", "outlet_id")) == stored


# --- insert_rows --------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, SQLITE_ROWS_PER_INSERT - 1, SQLITE_ROWS_PER_INSERT, SQLITE_ROWS_PER_INSERT + 1,
                               2 * SQLITE_ROWS_PER_INSERT + 7])
def test_narrow_rows_are_all_written_exactly(world, n):
    customer = world.c_am1
    rows = [(customer.pk, customer.property_id, 1 + i % 6, f"键{i}·{'x' * (i % 5)}") for i in range(n)]
    before = SearchKey.objects.count()
    insert_rows(SearchKey, ["customer_id", "property_id", "kind", "key"], rows)
    got = sorted(SearchKey.objects.filter(key__startswith="键").values_list("customer_id", "property_id", "kind",
                                                                             "key"))
    assert got == sorted(rows) and SearchKey.objects.count() == before + n


def test_a_refused_narrow_row_is_an_integrity_error_and_writes_nothing(world):
    customer = world.c_am1
    rows = [(customer.pk, customer.property_id, 1, f"好{i}") for i in range(SQLITE_ROWS_PER_INSERT + 3)]
    rows[-2] = (10 ** 12, customer.property_id, 1, "no such customer")  # a foreign key that points nowhere
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(SearchKey, ["customer_id", "property_id", "kind", "key"], rows)
        # SQLite checks its foreign keys at the end of the transaction, as Django's constraint check does
        connection.check_constraints(table_names=[SearchKey._meta.db_table])
    assert not SearchKey.objects.filter(key__startswith="好").exists()


moments = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31))
zones = st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moment=moments, zone=zones)
def test_a_datetime_prepared_as_text_is_stored_as_django_stores_it(world, moment, zone):
    aware = moment.replace(tzinfo=ZoneInfo(zone))
    with transaction.atomic():
        by_orm = Visit.objects.create(property=world.h1, customer=world.c_am1, occurred_at=aware,
                                      amount=Decimal("1.00"), doc_key="orm")
        value = sqlite_datetime(aware) if connection.vendor == "sqlite" else aware
        insert_rows(Visit, ["property_id", "customer_id", "occurred_at", "amount", "covers", "doc_key", "doc_no",
                            "table_no", "occasion", "room_type", "channel", "void_reason", "created_at"],
                    [(world.h1.pk, world.c_am1.pk, value, Decimal("1.00"), 1, "bulk", "", "", "", "", "", "",
                      aware)])
        bulk = Visit.objects.get(doc_key="bulk")
        assert bulk.occurred_at == by_orm.occurred_at == aware
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT doc_key, occurred_at FROM {Visit._meta.db_table} WHERE doc_key IN ('orm', 'bulk')")
            raw = dict(cursor.fetchall())
        assert raw["bulk"] == raw["orm"]
        transaction.set_rollback(True)


# --- look-ups and ids ---------------------------------------------------------------------------

def test_a_reimport_larger_than_a_lookup_chunk_finds_every_document(world, tmp_path, monkeypatch):
    monkeypatch.setattr(visits_module, "PG_LOOKUP_CHUNK", 7)  # PostgreSQL: chunks of 7 keys
    path = write_csv(tmp_path / "a.csv", lines(50))
    first = do_import("visits", path, world.h1)
    again = do_import("visits", path, world.h1)
    assert first.run.created == 50 and (again.run.created, again.run.unchanged) == (0, 50)


def test_imported_visits_and_a_visit_added_afterwards_have_distinct_ids(world, tmp_path):
    do_import("visits", write_csv(tmp_path / "a.csv", lines(25)), world.h1)
    ids = set(Visit.objects.values_list("id", flat=True))
    later = Visit.objects.create(property=world.h1, customer=world.c_am1, occurred_at=dt.datetime(2026, 1, 1,
                                 tzinfo=dt.UTC), amount=Decimal("5.00"), doc_key="later")
    assert len(ids) == 25 and later.pk not in ids and later.pk > max(ids)
    with translation.override("en"):
        do_import("visits", write_csv(tmp_path / "b.csv", lines(5, start=100)), world.h1)
    assert Visit.objects.count() == 31 and len(set(Visit.objects.values_list("id", flat=True))) == 31


@pytest.mark.parametrize("stored", ["a5", "Z3", "中1", "A1"])
def test_stored_documents_among_new_ones_are_found_whatever_the_order_of_their_keys(world, tmp_path, stored):
    """The range probe (one look-up of the batch's least..greatest key) only skips the look-up
    when no stored key can be among the batch's: upper/lower case, digits and Chinese mixed."""
    do_import("visits", write_csv(tmp_path / "a.csv", [HEADER, f"{stored},C001,2026-10-01 12:00,10,1,中餐厅"]),
              world.h1)
    keys = ["A1", "a5", "b9", "Z3", "中1", "_0"]
    rows = [HEADER] + [f"{k},C001,2026-10-01 12:00,10,1,中餐厅" if k == stored else
                       f"{k},C002,2026-10-02 12:{i:02d},20,2,中餐厅" for i, k in enumerate(keys)]
    outcome = do_import("visits", write_csv(tmp_path / "b.csv", rows), world.h1)
    assert (outcome.run.created, outcome.run.unchanged, outcome.run.rejected) == (5, 1, 0)
    assert Visit.objects.filter(property=world.h1).count() == 6
