"""The web import in a real browser (R-3.2, R-12.4; issue 12 point 3): a general manager
uploads a small visits CSV, sees the first rows with the detected columns, starts the
import, watches the progress page (polled by htmx) reach the result, downloads the
rejected rows, and finds the import in the list. A live worker thread runs the job
(not immediate mode), slowly enough that the progress page is seen.

Screenshots of every page, in Chinese and English, go to test-artifacts/imports/.
"""

import csv
import datetime as dt
import io
import re
import threading
import time

import pytest
from django.db import connections
from django.utils import timezone
from huey.storage import MemoryStorage

from tests.browser.conftest import ARTIFACTS
from tests.conftest import PASSWORD
from yingke.core.jobs import huey
from yingke.imports.models import ImportRun
from yingke.visits.models import Visit

pytestmark = pytest.mark.browser
SHOTS = ARTIFACTS / "imports"
CSV = ("单据号,客户编号,姓名,手机,消费时间,实收,人数,餐厅,备注\n"
       "D001,C001,张三,13812345678,2026-11-03 19:30,\"￥1,234.50\",4,中餐厅,生日宴\n"
       "D002,C004,李四,13612340003,2026/11/4 12:00,388.00,2,中餐厅,\n"
       "D003,C001,张三,13812345678,2026-02-30 19:00,100,2,中餐厅,\n"
       "D004,,王五,13912345000,2026-11-05 18:00,-88.00,1,大堂吧,退菜\n"
       "D005,C004,李四,13612340003,2026-11-06 18:00,12.3.4,3,中餐厅,\n")


@pytest.fixture
def live_worker(transactional_db, settings, tmp_path):
    """A worker thread on an in-memory queue: it waits a moment before each job so that the
    browser sees the job queued, then runs it as `yingke worker` does."""
    settings.HOME = tmp_path
    stop = threading.Event()
    saved = huey.storage, huey._immediate
    huey.storage, huey._immediate = MemoryStorage(huey.name), False

    def work():
        try:
            while not stop.is_set():
                task = huey.dequeue()
                if task is None:
                    time.sleep(0.05)
                    continue
                time.sleep(2.5)
                huey.execute(task)
        finally:
            connections.close_all()

    thread = threading.Thread(target=work, name="test-worker", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(10)
    huey.storage, huey._immediate = saved


def log_in(page, live_server, username, lang):
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def shot(page, name, lang):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{lang}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_general_manager_imports_visits_and_downloads_rejected_rows(page, live_server, world, live_worker, lang,
                                                                     tmp_path):
    log_in(page, live_server, "gm", lang)
    page.click("nav.mainnav a[href='/imports/']")
    page.wait_for_url(re.compile(r"/imports/$"))
    shot(page, "list-empty", lang)
    page.click(".page-actions a[href='/imports/new/']")
    page.wait_for_url(re.compile(r"/imports/new/$"))
    page.check("input[name=kind][value=visits]")
    path = tmp_path / "pos-export.csv"
    path.write_text(CSV, encoding="utf-8")
    page.set_input_files("input[name=file]", str(path))
    shot(page, "upload", lang)
    page.click("form[data-import-upload] button[type=submit]")

    # preview: the rows as read and the detected column of each field
    page.wait_for_url(re.compile(r"/imports/\d+/$"))
    run = ImportRun.objects.get()
    assert page.locator("table.import-grid tbody tr").count() == 5
    assert page.locator("select[name=map-4]").input_value() == "occurred_at"
    assert page.locator("select[name=map-5]").input_value() == "amount"
    assert page.locator("select[name=map-8]").input_value() == ""  # 备注: ignored
    shot(page, "preview", lang)
    page.click("button[name=action][value=start]")

    # progress, polled until the worker is done; then the page shows the result by itself
    page.wait_for_url(re.compile(rf"/imports/{run.pk}/$"))
    page.locator("#import-progress progress").wait_for()
    shot(page, "progress", lang)
    page.locator(".import-counts").wait_for(timeout=30_000)
    run.refresh_from_db()
    assert (run.state, run.created, run.rejected) == ("done", 3, 2), run.message
    assert Visit.objects.filter(property=world.h1).count() == 3
    assert "大堂吧" in page.locator("body").inner_text()  # the new outlet is named
    assert page.locator("table.table-list tbody tr").count() >= 2
    shot(page, "result", lang)

    with page.expect_download() as info:
        page.click(f"a[href='/imports/{run.pk}/rejected.csv']")
    data = open(info.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0][0] == "单据号" and sorted(r[0] for r in rows[1:]) == ["D003", "D005"]

    # a large import under way (for the screenshots of a running import: bar, rows/s, time left)
    now = timezone.now()
    big = ImportRun.objects.create(property=world.h1, kind="stays", source="web", file_name="pms-2026.xlsx",
                                   sha256="0" * 64, size=98_000_000, user=world.gm, state="running",
                                   started_at=now - dt.timedelta(seconds=12), heartbeat_at=now,
                                   rows_total=1_000_000, rows_done=312_000, created=300_000, rejected=12_000)
    page.goto(f"{live_server.url}/imports/{big.pk}/")
    assert "312" in page.locator("#import-progress").inner_text()
    shot(page, "progress-running", lang)

    page.click(".crumb")
    page.wait_for_url(re.compile(r"/imports/$"))
    assert "pos-export.csv" in page.locator("table.import-list").inner_text()
    shot(page, "list", lang)
    big.delete()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_screenshots_of_a_refused_file_and_a_header_to_map(page, live_server, world, live_worker, lang, tmp_path):
    log_in(page, live_server, "gm", lang)
    page.goto(f"{live_server.url}/imports/new/")
    path = tmp_path / "odd-header.csv"
    path.write_text("流水,客户编号,交易时刻,交易额\nA1,C001,2026-11-03 19:30,128\n", encoding="utf-8")
    page.set_input_files("input[name=file]", str(path))
    page.click("form[data-import-upload] button[type=submit]")
    page.wait_for_url(re.compile(r"/imports/\d+/$"))
    assert page.locator(".msg-error").count() == 1  # required column missing: cannot start yet
    shot(page, "preview-unmapped", lang)
    page.select_option("select[name=map-2]", "occurred_at")
    page.select_option("select[name=map-3]", "amount")
    page.click("button[name=action][value=start]")
    page.locator(".import-counts").wait_for(timeout=30_000)
    assert ImportRun.objects.get().created == 1
    page.goto(f"{live_server.url}/imports/new/")
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 broken")
    page.set_input_files("input[name=file]", str(bad))
    page.click("form[data-import-upload] button[type=submit]")
    page.locator(".has-error .error").wait_for()
    assert "broken.xlsx" in page.locator(".has-error .error").inner_text()
    shot(page, "upload-refused", lang)
