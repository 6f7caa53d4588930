"""Rejected rows are guest data (R-12.1, R-1.2, R-12.2): their values and cells (names,
mobiles, ID numbers as the file had them) are seen only by who uploaded the file and by
the property's general managers; administrators see counts and reasons. ID numbers are
masked on the page, in the API and in the problem list; the full value only reaches the
uploader's errors file. Downloads need EXPORT and are audited; stored copies and cells are
purged after the retention period. Only the uploader may start or discard a preview; the
problem list pages by keyset (no OFFSET, no COUNT over a million rows)."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import make_user
from yingke.core.models import ApiToken, AuditEvent
from yingke.core.roles import Role
from yingke.imports import tasks
from yingke.imports.models import ImportProblem, ImportRun

pytestmark = pytest.mark.django_db

BAD_ID = "110105194912310021"  # wrong check digit: rejected, with the number as its value
GUESTS = ["客户编号,姓名,手机,证件号码", f"C901,赵六,13800002222,{BAD_ID}"]
VISITS = ["单据号,客户编号,姓名,手机,消费时间,实收", "D1,C777,钱七,13900003333,2026-02-30 19:30,10"]


@pytest.fixture(autouse=True)
def home(settings, tmp_path):
    settings.HOME = tmp_path


def client_for(user, language="en"):
    c = Client(raise_request_exception=False)
    c.force_login(user)
    c.cookies["django_language"] = language
    return c


def api(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user)[1]}", HTTP_ACCEPT_LANGUAGE="en",
                  raise_request_exception=False)


def csv_file(lines, name="guests.csv"):
    f = io.BytesIO(("\n".join(lines) + "\n").encode())
    f.name = name
    return f


def imported(user, lines, kind, capture):
    with capture(execute=True):
        r = api(user).post("/api/imports", {"file": csv_file(lines), "kind": kind, "property": "H1"})
    assert r.status_code == 202, r.content
    run = ImportRun.objects.get(pk=r.json()["id"])
    assert run.state == "done" and run.rejected == 1, run.message
    return run


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def guests_run(world, django_capture_on_commit_callbacks):
    return imported(world.gm, GUESTS, "customers", django_capture_on_commit_callbacks)


def test_administrator_sees_reasons_but_no_values(world, guests_run):
    run = guests_run
    problems = api(world.admin).get(f"/api/imports/{run.pk}/problems").json()["items"]
    assert problems and all(p["value"] == "" for p in problems)
    assert all(p["reason"] for p in problems)
    page = client_for(world.admin).get(f"/imports/{run.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert BAD_ID not in text and BAD_ID[-4:] not in text and "13800002222" not in text
    assert "check digit" in text  # the reason is there
    admin = client_for(world.admin)
    for url in (f"/imports/{run.pk}/rejected.csv", f"/imports/{run.pk}/problems.csv"):
        r = admin.get(url)
        assert r.status_code == 403 and BAD_ID.encode() not in body(r)


def test_visit_import_values_are_hidden_from_the_administrator_who_uploaded_it(world,
                                                                                django_capture_on_commit_callbacks):
    run = imported(world.admin, VISITS, "visits", django_capture_on_commit_callbacks)
    assert all(p["value"] == "" for p in api(world.admin).get(f"/api/imports/{run.pk}/problems").json()["items"])
    assert "2026-02-30" not in client_for(world.admin).get(f"/imports/{run.pk}/").content.decode()
    # the property's general manager sees them
    assert "2026-02-30" in client_for(world.gm).get(f"/imports/{run.pk}/").content.decode()
    assert client_for(world.admin).get(f"/imports/{run.pk}/rejected.csv").status_code == 403


def test_id_numbers_are_masked_on_the_page_and_in_the_api_but_whole_in_the_uploaders_errors_file(world,
                                                                                                 guests_run):
    run = guests_run
    values = [p["value"] for p in api(world.gm).get(f"/api/imports/{run.pk}/problems").json()["items"]]
    assert "1101**********0021" in values and BAD_ID not in values
    gm = client_for(world.gm)
    page = gm.get(f"/imports/{run.pk}/").content.decode()
    assert "1101**********0021" in page and BAD_ID not in page
    export = body(gm.get(f"/imports/{run.pk}/problems.csv")).decode("utf-8-sig")
    assert "1101**********0021" in export and BAD_ID not in export
    before = AuditEvent.objects.count()
    errors = gm.get(f"/imports/{run.pk}/rejected.csv")
    assert errors.status_code == 200
    assert BAD_ID in body(errors).decode("utf-8-sig")
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "export"


def test_another_general_manager_gets_the_errors_file_with_id_numbers_masked(world, guests_run):
    other = make_user("gm_b", Role.GENERAL_MANAGER, world.h1)
    r = client_for(other).get(f"/imports/{guests_run.pk}/rejected.csv")
    assert r.status_code == 200
    text = body(r).decode("utf-8-sig")
    assert "1101**********0021" in text and BAD_ID not in text and "13800002222" in text


def test_only_the_uploader_may_start_or_discard_a_preview(world):
    gm = client_for(world.gm)
    gm.post("/imports/new/", {"property": "H1", "kind": "visits", "file": csv_file(VISITS, "pos.csv")})
    run = ImportRun.objects.get()
    assert run.state == "preview"
    other = make_user("gm_b", Role.GENERAL_MANAGER, world.h1)
    mapping = {"map-0": "doc_no", "map-1": "customer_code", "map-4": "occurred_at", "map-5": "amount"}
    for user in (other, world.admin):
        c = client_for(user)
        assert c.post(f"/imports/{run.pk}/start/", {**mapping, "action": "start"}).status_code == 404
        assert c.post(f"/imports/{run.pk}/discard/").status_code == 404
    run.refresh_from_db()
    assert run.state == "preview" and Path(run.stored_path).exists()
    assert gm.post(f"/imports/{run.pk}/discard/").status_code == 302
    run.refresh_from_db()
    assert run.state == "cancelled"


def test_stored_files_and_rejected_values_are_purged_after_the_retention_period(world, guests_run,
                                                                                django_capture_on_commit_callbacks):
    old = guests_run
    recent = imported(world.gm, VISITS, "visits", django_capture_on_commit_callbacks)
    ImportRun.objects.filter(pk=old.pk).update(finished_at=timezone.now() - dt.timedelta(days=31))
    assert Path(old.stored_path).exists() and Path(recent.stored_path).exists()
    assert ImportProblem.objects.filter(run=old).exclude(value="").exists()

    assert tasks.purge_expired() == 1
    assert not Path(old.stored_path).exists()
    assert not ImportProblem.objects.filter(run=old).exclude(value="").exists()
    assert not ImportProblem.objects.filter(run=old, cells__isnull=False).exists()
    assert ImportProblem.objects.filter(run=old).exclude(reason="").exists()  # the reasons stay
    # the recent run keeps its file and values; a second pass purges nothing again
    assert Path(recent.stored_path).exists()
    assert ImportProblem.objects.filter(run=recent, cells__isnull=False).exists()
    assert tasks.purge_expired() == 0


def test_the_problem_list_pages_by_keyset(world, guests_run):
    run = guests_run
    ImportProblem.objects.bulk_create(ImportProblem(run=run, line=100 + i, column="手机", value=f"v{i:03d}",
                                                    reason="bad") for i in range(120))
    gm = client_for(world.gm)
    with CaptureQueriesContext(connection) as queries:
        first = gm.get(f"/imports/{run.pk}/")
    problem_sql = [q["sql"].upper() for q in queries.captured_queries if "IMPORTPROBLEM" in q["sql"].upper()]
    assert problem_sql and not any("OFFSET" in q or "COUNT(" in q for q in problem_sql), problem_sql
    page = first.context["page"]
    assert len(page.rows) == 50 and page.has_next and not page.has_previous
    second = gm.get(f"/imports/{run.pk}/?after={page.next_cursor}").context["page"]
    assert second.rows[0].line > page.rows[-1].line and second.has_previous
    bad = gm.get(f"/imports/{run.pk}/?after=garbage")
    assert bad.status_code == 200 and bad.context["cursor_invalid"]


@pytest.mark.parametrize("language, words", [("zh-hans", ["导入", "重复档案"]), ("en", ["Imports", "Duplicates"])])
def test_menu_labels_are_translated(world, guests_run, language, words):
    text = client_for(world.gm, language).get(f"/imports/{guests_run.pk}/").content.decode()
    for word in words:
        assert f">{word}</a>" in text



def test_the_list_of_imports_pages_by_keyset(world, guests_run):
    for i in range(30):
        ImportRun.objects.create(property=world.h1, kind="visits", state="done", file_name=f"f{i:02d}.csv",
                                 sha256="0" * 64, size=1, user=world.gm)
    gm = client_for(world.gm)
    with CaptureQueriesContext(connection) as queries:
        first = gm.get("/imports/")
    run_sql = [q["sql"].upper() for q in queries.captured_queries if 'FROM "IMPORTS_IMPORTRUN"' in q["sql"].upper()]
    assert run_sql and not any("OFFSET" in q or "COUNT(" in q for q in run_sql), run_sql
    page = first.context["page"]
    assert len(page.rows) == 25 and page.has_next
    rest = gm.get(f"/imports/?after={page.next_cursor}").context["page"]
    assert len(rest.rows) == 6 and not rest.has_next
    assert {r.pk for r in page.rows}.isdisjoint(r.pk for r in rest.rows)
    assert gm.get("/imports/?after=garbage").context["cursor_invalid"]
