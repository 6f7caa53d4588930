"""The customer import's module column (客户模块, R-5.1, issue 13): matched by name or code in
any case, trimmed and full-width folded; unknown or out-of-use modules reject the row naming
the modules in use; an empty cell keeps the stored module."""

from yingke.customers.models import Customer, Module
from yingke.imports.pipeline import REJECTED

from .test_customer_import import run, write


def module(prop, code):
    return Module.objects.get(property=prop, code=code)


def test_modules_are_found_by_name_or_code_in_any_spelling(world, tmp_path):
    path = write(tmp_path, [
        "客户编号,姓名,客户模块",
        "M001,甲,政府",
        "M002,乙, GOVERNMENT ",
        "M003,丙,ｐｒｉｖａｔｅ",  # full-width letters
        "M004,丁,",
    ])
    summary, results = run(path, world.h1, world.gm)
    assert summary.rejected == 0, [r.problems for r in results if r.outcome == REJECTED]
    got = dict(Customer.objects.filter(property=world.h1, customer_code__startswith="M")
               .values_list("customer_code", "module__code"))
    assert got == {"M001": "government", "M002": "government", "M003": "private", "M004": None}


def test_each_header_spelling_is_the_module_column(world, tmp_path):
    for i, header in enumerate(("模块", "module", "Segment", "客户模块")):
        path = write(tmp_path, ["客户编号,姓名," + header, f"H{i:03d},甲,国企"], name=f"h{i}.csv")
        summary, _results = run(path, world.h1, world.gm)
        assert summary.rejected == 0
        assert Customer.objects.get(property=world.h1, customer_code=f"H{i:03d}").module.code == "soe"


def test_unknown_and_out_of_use_modules_reject_the_row_naming_the_modules_in_use(world, tmp_path):
    Module.objects.filter(property=world.h1, code="out_of_town").update(is_active=False)
    path = write(tmp_path, ["客户编号,姓名,模块", "U001,甲,火星", "U002,乙,外埠", "U003,丙,政府"])
    summary, results = run(path, world.h1, world.gm)
    bad = {r.line: r for r in results if r.outcome == REJECTED}
    assert set(bad) == {2, 3} and summary.counts["created"] == 1
    unknown, unused = bad[2].problems[0], bad[3].problems[0]
    assert unknown.column == "模块" and unknown.value == "火星"
    assert "No customer module" in unknown.reason and "政府 (government)" in unknown.reason
    assert "外埠" not in unknown.reason  # only the modules in use are offered
    assert "no longer in use" in unused.reason and "私企 (private)" in unused.reason
    assert not Customer.objects.filter(customer_code__in=["U001", "U002"]).exists()


def test_a_module_of_another_property_is_unknown(world, tmp_path):
    Module.objects.create(property=world.h2, code="h2only", name="别家模块")
    path = write(tmp_path, ["客户编号,姓名,模块", "X001,甲,别家模块"])
    summary, _results = run(path, world.h1, world.gm)
    assert summary.rejected == 1


def test_empty_keeps_the_stored_module_and_a_change_is_an_update(world, tmp_path):
    path = write(tmp_path, ["客户编号,姓名,模块", "K001,甲,政府"])
    run(path, world.h1, world.gm)
    path = write(tmp_path, ["客户编号,姓名,模块", "K001,甲,"], name="again.csv")
    summary, _results = run(path, world.h1, world.gm)
    assert summary.counts["unchanged"] == 1
    assert Customer.objects.get(customer_code="K001").module == module(world.h1, "government")
    path = write(tmp_path, ["客户编号,姓名,模块", "K001,甲,事业单位"], name="change.csv")
    summary, _results = run(path, world.h1, world.gm)
    customer = Customer.objects.get(customer_code="K001")
    assert summary.counts["updated"] == 1 and customer.module == module(world.h1, "institution")
    assert customer.history.first().module_id == module(world.h1, "institution").pk


def test_a_file_keeps_a_module_taken_out_of_use_when_the_row_names_it_again(world, tmp_path):
    path = write(tmp_path, ["客户编号,姓名,模块", "O001,甲,外埠"])
    run(path, world.h1, world.gm)
    Module.objects.filter(property=world.h1, code="out_of_town").update(is_active=False)
    summary, _results = run(write(tmp_path, ["客户编号,姓名,模块", "O001,甲,外埠"], name="re.csv"),
                            world.h1, world.gm)
    assert summary.counts["unchanged"] == 1
