"""Which guest file a visit row lands on, and what a correction may change (R-3.1, R-3.2):
the name alone finds a guest only on a row that names nothing else; a voided visit is never
changed by an import; a correction naming another guest's file moves the visit there
(recorded in its history, both profiles refreshed); one naming a guest without a file is
rejected."""

from decimal import Decimal

import pytest

from yingke.customers.models import Customer
from yingke.visits import services
from yingke.visits.models import Visit

from .conftest import do_import, write_csv

# every test here runs with the rows parsed in-process and by a second process reading ahead
pytestmark = pytest.mark.usefixtures("both_readers")

HEADER = "单据号,客户编号,消费时间,实收"


def test_a_row_with_a_mobile_no_file_has_opens_a_new_file_despite_a_known_name(world, tmp_path):
    name = world.c_am1.name
    f = write_csv(tmp_path / "pos.csv", ["单据号,姓名,手机,消费时间,实收",
                                         f"N1,{name},13900009999,2026-11-03 19:30,100",
                                         f"N2,{name},,2026-11-03 20:30,100"])
    out = do_import("visits", f, world.h1)
    assert out.run.created == 2
    n1, n2 = Visit.objects.get(doc_no="N1"), Visit.objects.get(doc_no="N2")
    assert n1.customer_id != world.c_am1.pk and n1.customer.mobile == "13900009999" and n1.customer.name == name
    assert n2.customer_id == world.c_am1.pk  # the name alone: the one file bearing it


def test_a_voided_visit_is_not_changed_by_an_import(world, tmp_path):
    do_import("visits", write_csv(tmp_path / "a.csv", [HEADER, "D1,C001,2026-11-03 19:30,100"]), world.h1)
    services.void_visit(world.gm, Visit.objects.get(doc_no="D1"), "wrong bill")
    voided = Visit.objects.get(doc_no="D1")
    out = do_import("visits", write_csv(tmp_path / "b.csv", [HEADER, "D1,C004,2026-11-03 19:30,500"]), world.h1)
    assert (out.run.updated, out.run.rejected) == (0, 1)
    reason = out.problem(2).reason
    assert reason.startswith("This document was voided on ") and reason.endswith("; it is not changed by an import.")
    assert (world.gm.display_name or world.gm.username) in reason and str(voided.voided_at.year) in reason
    v = Visit.objects.get(doc_no="D1")
    assert (v.amount, v.customer_id, v.is_void) == (Decimal("100.00"), world.c_am1.pk, True)
    # the same row as stored is simply unchanged (a re-run of the original file)
    again = do_import("visits", tmp_path / "a.csv", world.h1)
    assert (again.run.unchanged, again.run.rejected) == (1, 0)


def test_a_correction_naming_another_guest_moves_the_visit(world, tmp_path):
    do_import("visits", write_csv(tmp_path / "a.csv", [HEADER, "D1,C001,2026-11-03 19:30,100"]), world.h1)
    assert Customer.objects.get(pk=world.c_am1.pk).visit_count == 1
    out = do_import("visits", write_csv(tmp_path / "b.csv", [HEADER, "D1,C004,2026-11-03 19:30,100"]), world.h1)
    assert out.run.updated == 1
    v = Visit.objects.get(doc_no="D1")
    assert v.customer_id == world.c_pool.pk
    latest = v.history.order_by("-history_id").first()
    assert latest.history_type == "~" and latest.customer_id == world.c_pool.pk
    assert latest.prev_record.customer_id == world.c_am1.pk
    assert Customer.objects.get(pk=world.c_am1.pk).visit_count == 0
    assert Customer.objects.get(pk=world.c_pool.pk).visit_count == 1


def test_a_correction_naming_a_guest_without_a_file_is_rejected(world, tmp_path):
    do_import("visits", write_csv(tmp_path / "a.csv", [HEADER, "D1,C001,2026-11-03 19:30,100"]), world.h1)
    out = do_import("visits", write_csv(tmp_path / "b.csv", ["单据号,客户编号,姓名,消费时间,实收",
                                                              "D1,C777,新客,2026-11-03 19:30,100"]), world.h1)
    assert (out.run.updated, out.run.rejected) == (0, 1)
    assert out.problem(2).column == "客户编号" and "no file matches the guest this row names" in out.problem(2).reason
    assert Visit.objects.get(doc_no="D1").customer_id == world.c_am1.pk
    assert not Customer.objects.filter(customer_code="C777").exists()
