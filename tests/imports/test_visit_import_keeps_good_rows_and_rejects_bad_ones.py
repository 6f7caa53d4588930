"""Visit import through the engine (R-3.1, R-3.2, R-12.4): POS exports in GBK
and XLSX, every rejection with line (header = line 1), column as written, value and reason;
good rows kept; guests matched by code → card → mobile → unique name → new file; outlets
created on first sight or refused when fixed."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from yingke.core.models import Outlet
from yingke.customers.models import Customer
from yingke.imports.models import ImportProblem, ImportRun
from yingke.visits.models import Visit

from .conftest import FILES, do_import, write_csv

# every test here runs with the rows parsed in-process and by a second process reading ahead
pytestmark = pytest.mark.usefixtures("both_readers")

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_gbk_pos_export(world):
    Customer.objects.filter(pk=world.c_am3.pk).update(card_no="VIP-9")
    out = do_import("visits", FILES / "pos_gbk.csv", world.h1)
    run = out.run
    assert run.state == ImportRun.State.DONE and run.options["encoding"] == "gb18030"
    assert run.options["header_line"] == 2  # a title row above the header
    assert (run.created, run.updated, run.unchanged, run.rejected) == (5, 0, 0, 6)
    assert run.rows_done == 11 and run.last_line == 13
    expected = {
        6: ("结账时间", "2026-02-30", "This date or time does not exist."),
        7: ("实收", "12.3.4", "Not an amount: more than one decimal point."),
        8: ("实收", "一百元", "Not an amount; write it as 1234.50."),
        9: ("结账时间", "", "The date is missing."),
        10: ("实收", "", "The amount is missing."),
        11: ("单据号", "D001", "The same document is already on line 3 of this file."),
    }
    assert {line: (r.problems[0].column, r.problems[0].value, r.problems[0].reason)
            for line, r in out.rejected.items()} == expected
    # the same, stored with the run (first problem of a row carries the row as read)
    stored = {p.line: (p.column, p.value, p.reason) for p in ImportProblem.objects.filter(run=run)}
    assert stored == expected
    assert ImportProblem.objects.get(run=run, line=6).cells[:2] == ["D004", "C001"]

    visits = {v.doc_no or v.doc_key[:1]: v for v in Visit.objects.filter(property=world.h1)}
    d1 = visits["D001"]
    assert (d1.customer, d1.amount, d1.covers, d1.outlet.name, d1.table_no, d1.occasion) == (
        world.c_am1, Decimal("1234.50"), 4, "中餐厅", "A8", "hosting")
    assert d1.occurred_at == dt.datetime(2026, 11, 3, 19, 30, tzinfo=SHANGHAI)  # local to the property
    assert d1.import_run == run
    assert visits["D002"].customer == world.c_am2  # by mobile
    assert visits["D002"].outlet.name == "西餐厅" and run.new_outlets == ["西餐厅"]
    new_guest = visits["D003"].customer  # nobody has this mobile: a new file with the row's name and mobile
    assert (new_guest.name, new_guest.mobile, visits["D003"].amount) == ("王五", "13700001111", Decimal("-88.00"))
    assert visits["D003"].occurred_at == dt.datetime(2026, 11, 3, tzinfo=SHANGHAI)
    assert visits["D009"].customer == world.c_am3  # by card number
    assert (visits["D009"].amount, visits["D009"].occasion) == (Decimal("66.00"), "business")
    no_doc = visits["#"]  # no document number: keyed by the row's content
    assert no_doc.customer == world.c_pool and no_doc.amount == Decimal("128.00")  # unique name; full-width digits
    assert len(no_doc.doc_key) == 41
    assert Outlet.objects.filter(property=world.h1, name="西餐厅").count() == 1
    # the consumption profile of the touched files is current
    world.c_am1.refresh_from_db()
    assert (world.c_am1.visit_count, world.c_am1.total_spend) == (1, Decimal("1234.50"))


def test_xlsx_with_english_headers_date_cells_and_serials(world, visits_xlsx):
    out = do_import("visits", visits_xlsx, world.h1)
    run = out.run
    assert (run.created, run.rejected) == (3, 5), out.rejected
    assert run.options["sheet"] == "账单"
    assert {line: (r.problems[0].column, r.problems[0].value) for line, r in out.rejected.items()} == {
        4: ("Date", "2026-02-30"), 5: ("Amount", "abc"), 6: ("Date", ""), 7: ("Amount", "12.3.4"),
        8: ("Amount", "")}
    x1 = Visit.objects.get(doc_no="X001")
    assert (x1.customer, x1.amount, x1.occurred_at) == (
        world.c_am1, Decimal("128.50"), dt.datetime(2026, 11, 3, 19, 30, tzinfo=SHANGHAI))
    x2 = Visit.objects.get(doc_no="X002")  # outlet by code, full-width mobile, Excel serial with a time
    assert (x2.customer, x2.amount, x2.outlet.code) == (world.c_am2, Decimal("2000.00"), "CN")
    assert x2.occurred_at == dt.datetime(2026, 11, 3, 19, 30, tzinfo=SHANGHAI)
    assert Visit.objects.get(doc_no="X008").amount == Decimal("-20.00")  # a refund
    assert run.new_outlets == []


def test_matching_order_code_card_mobile_name_then_new_file(world, tmp_path):
    Customer.objects.filter(pk=world.c_am2.pk).update(card_no="K2")
    path = write_csv(tmp_path / "m.csv", [
        "单据号,客户编号,会员卡号,手机,姓名,日期,金额",
        "M1,C001,K2,13912340001,李四,2026-11-01,10",  # the code wins over card, mobile and name
        "M2,,K2,13812345678,李四,2026-11-01,10",  # then the card
        "M3,,,13812345678,李四,2026-11-01,10",  # then the mobile
        "M4,,,,李四,2026-11-01,10",  # then a name borne by one file only
        "M5,N77,,,新客人,2026-11-01,10",  # unknown code: a new file with it
        "M6,,,,新客人,2026-11-01,10",  # the new file of line 6 (same batch), found by name
        "M7,,,,,2026-11-01,10",  # nobody
    ])
    out = do_import("visits", path, world.h1)
    owner = {v.doc_no: v.customer for v in Visit.objects.filter(property=world.h1)}
    assert owner["M1"] == world.c_am1 and owner["M2"] == world.c_am2 and owner["M3"] == world.c_am1
    assert owner["M4"] == world.c_pool
    assert owner["M5"].customer_code == "N77" and owner["M6"] == owner["M5"]
    assert Customer.objects.filter(property=world.h1, name="新客人").count() == 1
    assert out.problem(8).reason.startswith("The row does not say who the guest is")


def test_a_shared_mobile_is_ambiguous_and_a_shared_name_opens_a_new_file(world, tmp_path):
    Customer.objects.filter(pk=world.c_pool.pk).update(mobile=world.c_am1.mobile)
    Customer.objects.filter(pk=world.c_am3.pk).update(name="张三")
    path = write_csv(tmp_path / "a.csv", ["单据号,手机,姓名,日期,金额",
                                         "A1,13812345678,,2026-11-01,10",
                                         "A2,,张三,2026-11-01,10"])
    out = do_import("visits", path, world.h1)
    assert out.problem(2).column == "手机" and "Several guest files" in out.problem(2).reason
    new = Visit.objects.get(doc_no="A2").customer
    assert new not in (world.c_am1, world.c_am3) and new.name == "张三"
    # the generated code is derived from name and mobile: the next file finds the same guest
    path = write_csv(tmp_path / "b.csv", ["单据号,姓名,日期,金额", "A3,张三,2026-11-02,10"])
    do_import("visits", path, world.h1)
    assert Visit.objects.get(doc_no="A3").customer == new


def test_unknown_outlet_is_created_unless_the_outlets_are_fixed(world, tmp_path):
    path = write_csv(tmp_path / "o.csv", ["单据号,客户编号,日期,金额,营业点", "O1,C001,2026-11-01,10,Bar",
                                         "O2,C001,2026-11-01,10,bar", "O3,C001,2026-11-01,10,中餐厅"])
    out = do_import("visits", path, world.h1)
    assert out.run.new_outlets == ["Bar"] and out.run.created == 3
    bar = Outlet.objects.get(property=world.h1, name="Bar")
    assert bar.code == "BAR" and Visit.objects.get(doc_no="O2").outlet == bar  # matched without case
    world.h1.outlets_strict = True
    world.h1.save()
    path = write_csv(tmp_path / "p.csv", ["单据号,客户编号,日期,金额,营业点", "P1,C001,2026-11-01,10,Lounge",
                                         "P2,C001,2026-11-01,10,BAR"])
    out = do_import("visits", path, world.h1)
    assert out.run.new_outlets == [] and out.run.created == 1
    assert out.problem(2).column == "营业点" and "fixed" in out.problem(2).reason
    assert not Outlet.objects.filter(name="Lounge").exists()


def test_stays(world, tmp_path):
    path = write_csv(tmp_path / "pms.csv", [
        "账单号,姓名,手机,入住日期,离店日期,房型,房价,渠道,金额,房号",
        "S1,张三,13812345678,2026/10/1,2026/10/4,豪华大床房,680,携程,2040,1808",
        "S2,张三,13812345678,2026/10/5,2026/10/4,豪华大床房,680,携程,680,1808",
        "S3,张三,13812345678,2026/10/5,2026/10/6,,-5,,680,",
    ])
    out = do_import("stays", path, world.h1)
    s1 = Visit.objects.get(doc_no="S1")
    assert (s1.arrival, s1.departure, s1.nights, s1.room_type, s1.rate, s1.channel, s1.occasion, s1.table_no) == (
        dt.date(2026, 10, 1), dt.date(2026, 10, 4), 3, "豪华大床房", Decimal("680.00"), "携程", "stay", "1808")
    assert s1.is_stay and s1.customer == world.c_am1
    # no bill date in the file: dated by the departure, at noon local time
    assert s1.occurred_at == dt.datetime(2026, 10, 4, 12, tzinfo=SHANGHAI)
    assert out.problem(3).column == "离店日期" and "before the arrival" in out.problem(3).reason
    assert out.problem(4).column == "房价" and "negative" in out.problem(4).reason
    world.c_am1.refresh_from_db()
    assert (world.c_am1.stay_count, world.c_am1.nights) == (1, 3)


def test_odd_unicode_is_a_clear_rejection_never_a_crash(world, tmp_path):
    path = write_csv(tmp_path / "u.csv", [
        "单据号,客户编号,姓名,日期,金额,桌号",
        "U1\u0007,C001,,2026-11-01,10,",
        "U2,C001,,2026-11-01\u202e,10,",
        "U3,C001,,2026-11-01,10\u00a0元,\u200b",
        "U4,,\U0001f600\u0301,2026-11-01,１０,",
        "U5,C001,,２０２６－１１－０１,10,\ufeffA1",
        "U6,C001,,2026-11-01,٣٠,",
        "U7,C001,,2026-11-01,10,\ud7ff",
    ], encoding="utf-8")
    out = do_import("visits", path, world.h1)
    assert out.run.state == ImportRun.State.DONE
    assert out.run.rows_done == 7
    assert out.problem(2).column == "单据号"
    assert out.problem(3).column == "日期"
    for line, result in out.rejected.items():
        assert result.problems[0].reason, line
    assert set(out.rejected) == {2, 3}
    assert Visit.objects.get(doc_no="U3").table_no == ""  # a zero-width space is not a table number
    assert Visit.objects.get(doc_no="U5").table_no == "A1"
    assert Visit.objects.get(doc_no="U4").customer.name == "\U0001f600\u0301"  # odd, but a name: kept as written


def test_a_binary_file_fails_the_run_with_a_message(world, tmp_path):
    path = write_csv(tmp_path / "b.csv", ["单据号,客户编号,日期,金额", "B1\u0000,C001,2026-11-01,10"], encoding="utf-8")
    out = do_import("visits", path, world.h1)
    assert out.run.state == ImportRun.State.FAILED and out.run.message == "b.csv is not a text file."
    assert not Visit.objects.exists()
