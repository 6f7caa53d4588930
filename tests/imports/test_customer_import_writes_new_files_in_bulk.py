"""The customer import queues new files and writes each batch in bulk; unchanged rows write
nothing; a batch whose bulk write fails is replayed row by row (R-3.2, R-12.4)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from yingke.core.permissions import SYSTEM
from yingke.customers.models import Customer, SearchKey
from yingke.imports.customers import CustomerImporter
from yingke.imports.pipeline import REJECTED, run_import

HEADER = "客户编号,姓名,手机,单位,标签"


def write(tmp_path, lines, name="c.csv"):
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))
    return path


def run(path, prop, actor=SYSTEM, importer=None):
    results = []
    with translation.override("en"):
        summary = run_import(importer or CustomerImporter(prop, actor), path, on_result=results.append)
    return summary, results


def rows(n, start=0):
    return [f"K{i:05d},客人{i},138{i:08d},迎客科技,{'VIP' if i % 3 == 0 else ''}" for i in range(start, start + n)]


def test_a_large_file_costs_a_few_queries_per_batch(world, tmp_path):
    path = write(tmp_path, [HEADER, *rows(2500)])
    with CaptureQueriesContext(connection) as queries:
        summary, _results = run(path, world.h1, world.gm)
    assert summary.counts["created"] == 2500
    assert len(queries) < 60, len(queries)  # 3 batches, not one query per row
    c = Customer.objects.get(customer_code="K00003")
    assert (c.mobile, c.created_by, [t.name for t in c.tags.all()]) == ("13800000003", world.gm, ["VIP"])
    assert c.history.count() == 2 and c.history.last().history_change_reason == "import c.csv line 5"
    assert SearchKey.objects.filter(customer=c, kind=SearchKey.Kind.INITIALS, key="kr").exists()  # 客人3


def test_reimporting_the_same_file_writes_nothing(world, tmp_path):
    path = write(tmp_path, [HEADER, *rows(300)])
    run(path, world.h1, world.gm)
    with CaptureQueriesContext(connection) as queries:
        summary, _results = run(path, world.h1, world.gm)
    assert summary.counts["unchanged"] == 300
    writes = [q["sql"] for q in queries if q["sql"].lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []


def test_a_code_twice_is_rejected_across_batches(world, tmp_path):
    path = write(tmp_path, [HEADER, *rows(1200), "K00000,又一个,,,"])
    summary, results = run(path, world.h1)
    [bad] = [r for r in results if r.outcome == REJECTED]
    assert bad.line == 1202 and "line 2" in bad.problems[0].reason
    assert Customer.objects.get(customer_code="K00000").name == "客人0"


def test_a_failed_bulk_write_is_replayed_row_by_row(world, tmp_path):
    """Another writer takes a code between the batch's look-up and its write: the bulk write
    fails, the batch is rolled back and replayed row by row; only that row is refused (with
    the reason), every other row is stored once."""

    class Racing(CustomerImporter):
        def start_batch(self, rows):
            super().start_batch(rows)
            Customer.objects.get_or_create(property=self.property, customer_code="K00005",
                                           defaults={"name": "别人"})

    path = write(tmp_path, [HEADER, *rows(20)])
    summary, results = run(path, world.h1, importer=Racing(world.h1, SYSTEM))
    assert summary.counts["created"] == 19 and summary.rejected == 1
    [bad] = [r for r in results if r.outcome == REJECTED]
    assert bad.line == 7 and "could not be stored" in bad.problems[0].reason
    assert Customer.objects.filter(customer_code__startswith="K").count() == 20
    assert Customer.objects.get(customer_code="K00005").name == "别人"
    assert SearchKey.objects.filter(customer__customer_code__startswith="K", kind=SearchKey.Kind.NAME).count() == 19


def test_front_desk_rows_with_tags_are_refused_whole(world, tmp_path):
    """The front desk opens files but may not change them (tags): such a row is refused, not
    half-made; its other rows are created (R-1.2)."""
    path = write(tmp_path, [HEADER, "D1,王五,,,VIP", "D2,赵六,,,"])
    summary, results = run(path, world.h1, world.desk)
    assert summary.counts["created"] == 1 and summary.rejected == 1
    assert results[0].problems[0].column == "客户编号" and "not change" in results[0].problems[0].reason
    assert list(Customer.objects.filter(customer_code__in=["D1", "D2"]).values_list("customer_code", flat=True)) \
        == ["D2"]


def test_a_role_that_may_not_open_files_gets_every_new_row_refused(world, tmp_path):
    path = write(tmp_path, [HEADER, "E1,王五,,,", "C001,张三,,,"])
    summary, results = run(path, world.h1, world.sup)
    assert summary.rejected == 1 and summary.counts["unchanged"] == 1
    assert "may not open" in results[0].problems[0].reason
    assert not Customer.objects.filter(customer_code="E1").exists()
