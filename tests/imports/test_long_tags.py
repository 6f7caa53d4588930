"""Tags in the customer import: one over 30 characters rejects its row, never shortened (R-12.4)."""

from django.utils import translation

from yingke.customers.models import Customer, Tag
from yingke.imports.customers import CustomerImporter
from yingke.imports.pipeline import REJECTED, run_import

HEADER = "客户编号,姓名,标签"


def run(tmp_path, lines, prop, actor):
    path = tmp_path / "c.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))
    results = []
    with translation.override("en"):
        summary = run_import(CustomerImporter(prop, actor), path, on_result=results.append)
    return summary, results


def test_a_tag_over_30_characters_rejects_the_row(world, tmp_path):
    long_tag = "长" * 31
    summary, results = run(tmp_path, [HEADER, f"N001,王五,VIP，{long_tag}", "N002,赵六,VIP"], world.h1, world.gm)
    assert summary.rejected == 1 and summary.counts["created"] == 1
    [bad] = [r for r in results if r.outcome == REJECTED]
    assert bad.line == 2
    assert [p.column for p in bad.problems] == ["标签"]
    assert "30 characters" in bad.problems[0].reason and long_tag in bad.problems[0].reason
    assert not Customer.objects.filter(customer_code="N001").exists()
    assert not Tag.objects.filter(name__startswith="长").exists()


def test_a_tag_of_30_characters_is_kept_whole(world, tmp_path):
    tag = "长" * 30
    summary, _results = run(tmp_path, [HEADER, f"N001,王五,{tag}"], world.h1, world.gm)
    assert summary.counts["created"] == 1
    assert [t.name for t in Customer.objects.get(customer_code="N001").tags.all()] == [tag]


def test_a_long_tag_on_an_existing_file_changes_nothing(world, tmp_path):
    summary, _results = run(tmp_path, [HEADER, f"C001,张三,{'x' * 40}"], world.h1, world.gm)
    assert summary.rejected == 1
    assert not world.c_am1.tags.exists()
