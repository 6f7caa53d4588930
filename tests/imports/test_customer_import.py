"""Customer import through the pipeline, in-process against the test database (R-2.9, R-3.2,
R-12.3, R-12.4)."""

import datetime as dt

import openpyxl
import pytest
from django.utils import translation

from yingke.core.permissions import SYSTEM
from yingke.customers.identity import id_check_char
from yingke.customers.models import Customer
from yingke.customers.search import search
from yingke.customers.services import id_number_of
from yingke.imports.customers import CustomerImporter
from yingke.imports.pipeline import REJECTED, FileError, run_import

HEADER = "客户编号,姓名,手机,身份证号,生日,性别,单位,标签,客户经理,备注"


def make_id(first17):
    return first17 + id_check_char(first17)


GOOD_ID = make_id("11010519850612003")  # a man born 1985-06-12
BAD_ID = GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")


def write(tmp_path, lines, encoding="utf-8-sig", name="c.csv"):
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def run(path, prop, actor=SYSTEM, **kwargs):
    results = []
    with translation.override("en"):
        summary = run_import(CustomerImporter(prop, actor), path, on_result=results.append, **kwargs)
    return summary, results


def rejected(results):
    return {r.line: r for r in results if r.outcome == REJECTED}


def test_good_rows_are_created_and_bad_rows_reported(world, tmp_path):
    path = write(tmp_path, [
        HEADER,
        f"N001,单田芳,138 1234 0009,{GOOD_ID},1985-06-12,男,迎客科技,VIP，常客,am1,随便",
        "N002,李四,1381234,,,,,,,",
        f"N003,王五,,{BAD_ID},,,,,,",
        "N004,赵六,,,1990/13/01,X,,,,",
        ",无编号,,,,,,,,",
        "N005,,,,,,,,,",
        "N001,重复,,,,,,,,",
        "N006,钱七,,,,,,,nobody,",
        "n007,欧阳娜娜,+86 139-1234-5678,,1992年3月4日,女,,,,",
    ])
    summary, results = run(path, world.h1, world.gm)
    assert summary.counts["created"] == 2 and summary.rejected == 7
    bad = rejected(results)
    assert set(bad) == {3, 4, 5, 6, 7, 8, 9}
    assert bad[3].problems[0].column == "手机" and bad[3].problems[0].value == "1381234"
    assert "not a valid mobile number" in bad[3].problems[0].reason
    assert bad[4].problems[0].column == "身份证号" and "check digit" in bad[4].problems[0].reason
    assert [p.column for p in bad[5].problems] == ["生日", "性别"]  # in the file's column order
    assert bad[6].problems[0].column == "客户编号" and "missing" in bad[6].problems[0].reason
    assert bad[7].problems[0].column == "姓名"
    assert "line 2" in bad[8].problems[0].reason
    assert bad[9].problems[0].column == "客户经理"
    c = Customer.objects.get(property=world.h1, customer_code="N001")
    assert (c.mobile, c.gender, c.birth_date, c.owner) == ("13812340009", "M", dt.date(1985, 6, 12), world.am1)
    assert id_number_of(c) == GOOD_ID and c.id_number_masked.startswith("1101")
    assert sorted(t.name for t in c.tags.all()) == ["VIP", "常客"]
    assert c.created_by == world.gm
    assert Customer.objects.get(customer_code="N007").mobile == "13912345678"
    # the same search keys as the UI: surname reading of 单 and every other reading
    hits = {h.customer.customer_code for h in search(world.gm, "shantianfang")}
    assert "N001" in hits and "N001" in {h.customer.customer_code for h in search(world.gm, "dtf")}


def test_update_keeps_history_and_unchanged_rows_write_nothing(world, tmp_path):
    existing = world.c_am1  # C001 张三, am1's, 13812345678
    assert existing.history.count() == 1
    path = write(tmp_path, ["customer_code,name,mobile,email",
                            "c001,张三,13812345678,zhang@example.com",
                            "C002,单田芳,,"])
    summary, _results = run(path, world.h1, world.sm)
    assert (summary.counts["updated"], summary.counts["unchanged"]) == (1, 1)
    existing.refresh_from_db()
    assert existing.email == "zhang@example.com" and existing.mobile == "13812345678"
    assert existing.owner == world.am1  # empty/missing cells keep stored values
    records = list(existing.history.all())
    assert len(records) == 2
    assert records[0].history_user == world.sm and records[0].email == "zhang@example.com"
    assert records[0].history_change_reason == "import c.csv line 2"
    assert records[1].email == ""
    # importing the same file again changes nothing and writes no history
    summary, _results = run(path, world.h1, world.sm)
    assert summary.counts["unchanged"] == 2
    assert existing.history.count() == 2


def test_tags_are_added_never_removed(world, tmp_path):
    c = world.c_am1
    c.tags.add(world.h1.tags.create(name="老客户"))
    summary, _results = run(write(tmp_path, ["编号,姓名,标签", "C001,张三,VIP、老客户"]), world.h1, world.gm)
    assert summary.counts["updated"] == 1
    assert sorted(t.name for t in c.tags.all()) == ["VIP", "老客户"]
    assert c.history.first().history_user == world.gm


def test_birthday_or_gender_contradicting_the_id_is_rejected(world, tmp_path):
    path = write(tmp_path, [HEADER, f"X1,周九,,{GOOD_ID},1985-06-13,女,,,,"])
    summary, results = run(path, world.h1)
    assert summary.rejected == 1
    assert [p.column for p in results[0].problems] == ["生日", "性别"]
    assert "1985-06-12" in results[0].problems[0].reason
    assert not Customer.objects.filter(customer_code="X1").exists()


def test_code_taken_in_another_property_is_fine(world, tmp_path):
    path = write(tmp_path, ["编号,姓名", "C001,张珊珊"])
    summary, _results = run(path, world.h1)
    assert summary.counts["updated"] == 1  # C001 of H1, not of H2
    assert Customer.objects.get(property=world.h2, customer_code="C001").name == "张珊"


def test_dry_run_changes_nothing(world, tmp_path):
    path = write(tmp_path, [HEADER, "D1,新客人,13812349999,,,,,新标签,,", "C001,改名,,,,,,,,"])
    before = list(Customer.objects.order_by("id").values_list("name", flat=True))
    summary, _results = run(path, world.h1, dry_run=True)
    assert summary.dry_run and summary.counts["created"] == 1 and summary.counts["updated"] == 1
    assert list(Customer.objects.order_by("id").values_list("name", flat=True)) == before
    assert not world.h1.tags.filter(name="新标签").exists()


def test_unusable_file_changes_nothing(world, tmp_path):
    before = Customer.objects.count()
    for lines in (["姓名,手机", "张三,13812345678"], ["a,b", "1,2"]):
        with pytest.raises(FileError):
            run(write(tmp_path, lines), world.h1)
    assert Customer.objects.count() == before


def test_file_error_half_way_changes_nothing(world, tmp_path, monkeypatch):
    from yingke.imports import pipeline

    real_open = pipeline.open_table

    def breaking_open(*args, **kwargs):
        table = real_open(*args, **kwargs)
        rows = table._rows

        def broken():
            for line, cells in rows:
                if line == 700:
                    raise FileError("disk gone")
                yield line, cells

        table._rows = broken()
        return table

    monkeypatch.setattr(pipeline, "open_table", breaking_open)
    path = write(tmp_path, ["编号,姓名"] + [f"E{i},客人{i}" for i in range(1000)])
    with pytest.raises(FileError):
        run(path, world.h1)
    assert not Customer.objects.filter(customer_code__startswith="E").exists()


def test_interrupted_import_keeps_whole_batches_and_a_rerun_finishes_it(world, tmp_path):
    """Issue 12 (refining R-12.4): an interrupted import leaves only whole committed
    batches; running the same file again completes it and doubles nothing."""
    size = CustomerImporter.batch_size
    path = write(tmp_path, ["编号,姓名"] + [f"I{i},客人{i}" for i in range(2 * size + 200)])

    class Stopped(CustomerImporter):
        def process_row(self, row):
            if row.line == size + 500:  # half-way through the second batch
                raise KeyboardInterrupt
            return super().process_row(row)

    with pytest.raises(KeyboardInterrupt):
        run_import(Stopped(world.h1), path)
    assert Customer.objects.filter(customer_code__startswith="I").count() == size
    summary, _results = run(path, world.h1)
    assert (summary.counts["created"], summary.counts["unchanged"]) == (size + 200, size)
    assert Customer.objects.filter(customer_code__startswith="I").count() == 2 * size + 200


def test_gbk_csv_and_xlsx(world, tmp_path):
    path = write(tmp_path, ["客户编号,姓名,手机,类型", "G1,曾国藩,13912340001,个人", "G2,迎客集团,,单位"],
                 encoding="gbk")
    summary, _results = run(path, world.h1)
    assert summary.counts["created"] == 2 and summary.table.encoding == "gb18030"
    assert Customer.objects.get(customer_code="G2").kind == Customer.Kind.ORGANISATION

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "手机号", "客户编号", "出生日期", "证件类型", "证件号码"])
    ws.append(["区丽华", 13712345678, 5001, dt.date(1985, 6, 12), "身份证", GOOD_ID])
    ws.append(["错号", 1371234, 5002, None, None, None])
    wb.save(tmp_path / "c.xlsx")
    summary, results = run(tmp_path / "c.xlsx", world.h1)
    assert summary.counts["created"] == 1 and summary.rejected == 1
    assert rejected(results)[3].problems[0].value == "1371234"
    c = Customer.objects.get(customer_code="5001")
    assert (c.mobile, c.id_type, c.birth_date) == ("13712345678", "resident", dt.date(1985, 6, 12))
