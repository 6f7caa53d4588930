"""The real `yingke grade` console script in a subprocess (its own $YINGKE_HOME, SQLite)."""

from tests.cli.conftest import cli, migrated_home  # noqa: F401 — the console fixtures

HEADER = "customer_code,name,grade,visits,amount,standard,rank_visits,rank_amount"


def test_console_grade_exports_and_refuses_bad_input(cli, tmp_path):  # noqa: F811
    assert cli("property", "add", "H1", "--name", "迎客大酒店").returncode == 0
    out = tmp_path / "grades.csv"
    proc = cli("grade", "--property", "H1", "--as-of", "2026-11-27", "--export", out, lang="en")
    assert proc.returncode == 0, proc.output
    assert "Graded H1 as of 2026-11-27" in proc.stdout and "0 effective of 0 customers" in proc.stdout
    assert out.read_text(encoding="utf-8").splitlines() == [HEADER]
    assert cli.sql("SELECT trigger, as_of FROM grading_gradingrun") == [("command", "2026-11-27")]
    bad = cli("grade", "--property", "H1", "--as-of", "2026-13-01", lang="en")
    assert bad.returncode == 2 and "is not a date" in bad.stderr
    zh = cli("grade", "--property", "H1", "--export", tmp_path / "x.txt")
    assert zh.returncode == 2
    assert cli.sql("SELECT COUNT(*) FROM grading_gradingrun") == [(1,)]
