"""The web import flow (R-3.2, R-12.4): upload → preview with the detected, editable column
mapping → the job (immediate mode here) → result with the rejected rows → the list.
Who may use it is in test_import_pages_permissions.py."""

import csv
import io
import os
import stat

import pytest
from django.test import Client

from yingke.imports.models import ImportRun
from yingke.visits.models import Visit

pytestmark = pytest.mark.django_db

VISITS = [
    "单据号,客户编号,姓名,手机,消费时间,实收,人数,餐厅",
    "D001,C001,张三,13812345678,2026-11-03 19:30,\"￥1,234.50\",4,中餐厅",
    "D002,C004,李四,13612340003,2026/11/4 12:00,388,2,中餐厅",
    "D003,C001,张三,13812345678,2026-02-30 19:00,100,2,中餐厅",
    "D004,C001,张三,13812345678,2026-11-05 19:00,一百,2,中餐厅",
]


@pytest.fixture(autouse=True)
def home(settings, tmp_path):
    settings.HOME = tmp_path  # uploads go to $YINGKE_HOME/imports/
    return tmp_path


def client_for(user, lang="en"):
    c = Client()
    c.force_login(user)
    c.cookies["django_language"] = lang
    return c


def csv_file(lines, name="pos.csv", encoding="utf-8"):
    f = io.BytesIO(("\n".join(lines) + "\n").encode(encoding))
    f.name = name
    return f


def upload(client, lines=VISITS, kind="visits", prop="H1", name="pos.csv", encoding="utf-8", **extra):
    return client.post("/imports/new/", {"property": prop, "kind": kind, "file": csv_file(lines, name, encoding),
                                         "encoding": "", "sheet": "", **extra})


def detected_mapping(client, run):
    """The select values the preview page offers, as a browser would send them back."""
    import re

    html = client.get(f"/imports/{run.pk}/").content.decode()
    data = {}
    for index, body in re.findall(r'<select name="map-(\d+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        data[f"map-{index}"] = chosen.group(1) if chosen else ""
    return data


def test_upload_shows_the_first_rows_and_the_detected_columns(world, home):
    gm = client_for(world.gm)
    response = upload(gm)
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{run.pk}/"
    assert (run.state, run.kind, run.property, run.user, run.source) == ("preview", "visits", world.h1, world.gm, "web")
    assert run.file_name == "pos.csv" and len(run.sha256) == 64
    # stored privately under $YINGKE_HOME/imports/ with a random name
    stored = os.path.realpath(run.stored_path)
    assert os.path.dirname(stored) == str((home / "imports").resolve())
    assert os.path.basename(stored) != "pos.csv" and len(os.path.basename(stored)) >= 32
    assert stat.S_IMODE(os.stat(stored).st_mode) == 0o600
    page = gm.get(f"/imports/{run.pk}/").content.decode()
    assert "D001" in page and "D004" in page and "2026-02-30 19:00" in page  # the rows as read
    mapping = detected_mapping(gm, run)
    assert mapping["map-0"] == "doc_no" and mapping["map-4"] == "occurred_at" and mapping["map-5"] == "amount"
    assert Visit.objects.count() == 0  # nothing imported before confirmation


def test_confirm_runs_the_job_and_the_result_lists_rejected_rows(world, django_capture_on_commit_callbacks):
    gm = client_for(world.gm)
    upload(gm)
    run = ImportRun.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = gm.post(f"/imports/{run.pk}/start/", {**detected_mapping(gm, run), "action": "start"})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.state == "done", run.message
    assert (run.created, run.rejected) == (2, 2)
    assert Visit.objects.filter(property=world.h1).count() == 2
    page = gm.get(f"/imports/{run.pk}/").content.decode()
    assert "2026-02-30 19:00" in page and "一百" in page  # rejected values with their lines
    assert "Download rejected rows" in page
    # the rejected rows as the file had them, plus a reason column (engine.write_errors)
    download = gm.get(f"/imports/{run.pk}/rejected.csv")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:2] == ["单据号", "客户编号"] and len(rows) == 3
    assert {r[0] for r in rows[1:]} == {"D003", "D004"}
    # the problem table through the export helper
    export = gm.get(f"/imports/{run.pk}/problems.csv")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "一百" in text and "Line" in text.splitlines()[0]
    assert gm.get(f"/imports/{run.pk}/problems.xlsx").status_code == 200
    # the list of past imports
    listing = gm.get("/imports/").content.decode()
    assert "pos.csv" in listing and "Finished" in listing


def test_progress_fragment_reloads_the_page_when_the_run_is_over(world, django_capture_on_commit_callbacks):
    gm = client_for(world.gm)
    upload(gm)
    run = ImportRun.objects.get()
    ImportRun.objects.filter(pk=run.pk).update(state="running", rows_total=1000, rows_done=250)
    fragment = gm.get(f"/imports/{run.pk}/progress/")
    assert fragment.status_code == 200 and "HX-Refresh" not in fragment
    body = fragment.content.decode()
    assert 'hx-trigger="every 1s"' in body and "<progress" in body and "250" in body and "25%" in body
    ImportRun.objects.filter(pk=run.pk).update(state="done")
    assert gm.get(f"/imports/{run.pk}/progress/")["HX-Refresh"] == "true"


def test_an_unreadable_file_is_refused_with_a_message_and_nothing_kept(world, home):
    gm = client_for(world.gm)
    f = io.BytesIO(b"PK\x03\x04 not really a spreadsheet")
    f.name = "broken.xlsx"
    response = gm.post("/imports/new/", {"property": "H1", "kind": "visits", "file": f})
    assert response.status_code == 422
    assert "broken.xlsx" in response.content.decode()  # named as the user called it
    assert ImportRun.objects.count() == 0
    assert list((home / "imports").iterdir()) == []


def test_a_missing_required_column_cannot_start_until_mapped_by_hand(world, django_capture_on_commit_callbacks):
    gm = client_for(world.gm)
    lines = ["单据号,客户编号,姓名,交易时刻,实收", "D101,C001,张三,2026-11-03 19:30,128.00"]
    assert upload(gm, lines).status_code == 302
    run = ImportRun.objects.get()
    page = gm.get(f"/imports/{run.pk}/").content.decode()
    assert "required" in page.lower() and "交易时刻" in page
    mapping = detected_mapping(gm, run)
    assert mapping["map-3"] == ""  # not recognised
    refused = gm.post(f"/imports/{run.pk}/start/", {**mapping, "action": "start"})
    assert refused.status_code == 422 and ImportRun.objects.get().state == "preview"
    mapping["map-3"] = "occurred_at"  # the user says which column holds the date
    with django_capture_on_commit_callbacks(execute=True):
        gm.post(f"/imports/{run.pk}/start/", {**mapping, "action": "start"})
    run.refresh_from_db()
    assert (run.state, run.created, run.rejected) == ("done", 1, 0), run.message
    assert Visit.objects.get().doc_no == "D101"


def test_a_field_chosen_for_two_columns_is_refused(world):
    gm = client_for(world.gm)
    upload(gm)
    run = ImportRun.objects.get()
    mapping = {**detected_mapping(gm, run), "map-6": "amount"}
    response = gm.post(f"/imports/{run.pk}/start/", {**mapping, "action": "start"})
    assert response.status_code == 422 and "more than one column" in response.content.decode()
    assert ImportRun.objects.get().state == "preview"


def test_a_file_over_the_limit_gets_a_clear_message(world, settings, home):
    settings.IMPORT_MAX_BYTES = 100
    response = upload(client_for(world.gm), VISITS * 5)
    assert response.status_code == 413
    assert "larger than" in response.content.decode()
    assert ImportRun.objects.count() == 0 and list((home / "imports").iterdir()) == []


def test_dry_run_changes_nothing_and_keeps_the_problems(world, django_capture_on_commit_callbacks):
    gm = client_for(world.gm)
    upload(gm)
    run = ImportRun.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        gm.post(f"/imports/{run.pk}/start/", {**detected_mapping(gm, run), "action": "dry_run"})
    run.refresh_from_db()
    assert (run.state, run.dry_run, run.rejected) == ("done", True, 2)
    assert Visit.objects.count() == 0
    assert "check only" in gm.get(f"/imports/{run.pk}/").content.decode()


def test_an_interrupted_import_is_offered_as_finishing_it(world, django_capture_on_commit_callbacks):
    gm = client_for(world.gm)
    upload(gm)
    first = ImportRun.objects.get()
    ImportRun.objects.filter(pk=first.pk).update(state="interrupted", last_line=2)
    listing = gm.get("/imports/").content.decode()
    assert "Upload the same file again to finish it" in listing
    upload(gm)  # the same bytes again
    second = ImportRun.objects.exclude(pk=first.pk).get()
    page = gm.get(f"/imports/{second.pk}/").content.decode()
    assert "Finish the interrupted import" in page
    with django_capture_on_commit_callbacks(execute=True):
        gm.post(f"/imports/{second.pk}/start/", {**detected_mapping(gm, second), "action": "start"})
    second.refresh_from_db()
    assert second.state == "done" and second.resumes_id == first.pk
    assert "It was finished by import" in gm.get(f"/imports/{first.pk}/").content.decode()


def test_discard_removes_the_stored_file(world):
    gm = client_for(world.gm)
    upload(gm)
    run = ImportRun.objects.get()
    assert gm.post(f"/imports/{run.pk}/discard/").status_code == 302
    run.refresh_from_db()
    assert run.state == "cancelled" and not os.path.exists(run.stored_path)


def test_pages_in_chinese(world):
    gm = client_for(world.gm, lang="zh-hans")
    assert "导入" in gm.get("/imports/new/").content.decode()
    upload(gm)
    run = ImportRun.objects.get()
    assert gm.get(f"/imports/{run.pk}/").status_code == 200


def test_a_customers_import_runs_with_the_general_managers_rights(world, django_capture_on_commit_callbacks):
    from yingke.customers.models import Customer

    gm = client_for(world.gm)
    upload(gm, ["客户编号,姓名,手机", "N001,王五,13912345601", "N002,,13912345602"], kind="customers")
    run = ImportRun.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        gm.post(f"/imports/{run.pk}/start/", {**detected_mapping(gm, run), "action": "start"})
    run.refresh_from_db()
    assert (run.state, run.created, run.rejected) == ("done", 1, 1), run.message
    assert Customer.objects.get(customer_code="N001").created_by == world.gm


def test_the_job_runs_a_queued_run_once_and_asks_the_rights_again(world, django_capture_on_commit_callbacks):
    from yingke.imports.tasks import run_import

    gm = client_for(world.gm)
    upload(gm)
    run = ImportRun.objects.get()
    run_import(run.pk)  # still waiting for confirmation: not queued, nothing happens
    assert ImportRun.objects.get().state == "preview"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        gm.post(f"/imports/{run.pk}/start/", {**detected_mapping(gm, run), "action": "start"})
    world.gm.is_active = False  # deactivated before the worker got to it
    world.gm.save()
    for callback in callbacks:
        callback()
    run.refresh_from_db()
    assert run.state == "failed" and run.message and Visit.objects.count() == 0
    run_import(run.pk)  # a second copy of the message changes nothing
    assert ImportRun.objects.get().state == "failed"
