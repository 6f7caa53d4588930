"""The imports API (R-3.2, R-12.4): POST a file (multipart) → a queued run (202) that the
worker executes (immediate mode here); GET its state, counts and progress; page through
its rejected rows. Roles that import nowhere get 403, another property's run is 404, bad
input a 422 naming the field, a file over the limit 413; nothing is kept on refusal."""

import io
import json

import pytest
from django.test import Client

from yingke.core.models import ApiToken
from yingke.imports.models import ImportRun
from yingke.visits.models import Visit

pytestmark = pytest.mark.django_db

LINES = ["单据号,客户编号,姓名,消费时间,实收,餐厅",
         "D001,C001,张三,2026-11-03 19:30,128.00,中餐厅",
         "D002,C004,李四,2026/11/4 12:00,￥88,新开的酒吧",
         "D003,C001,张三,2026-02-30 19:00,100,中餐厅",
         "D004,C001,张三,,100,中餐厅"]


@pytest.fixture(autouse=True)
def home(settings, tmp_path):
    settings.HOME = tmp_path
    return tmp_path


def api(user):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user)[1]}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def csv_file(lines=LINES, name="pos.csv"):
    f = io.BytesIO(("\n".join(lines) + "\n").encode())
    f.name = name
    return f


def post(client, **fields):
    data = {"kind": "visits", "property": "H1", "file": csv_file(), **fields}
    return client.post("/api/imports", {k: v for k, v in data.items() if v is not None})


@pytest.fixture
def posted(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api(world.gm))
    assert response.status_code == 202, response.content
    return response.json()


def test_post_queues_the_import_and_the_worker_runs_it(world, posted):
    assert posted["state"] == "queued" and posted["kind"] == "visits" and posted["property"] == "H1"
    assert posted["file_name"] == "pos.csv" and posted["user"] == "gm" and posted["source"] == "web"
    body = api(world.gm).get(f"/api/imports/{posted['id']}").json()
    assert body["state"] == "done", body["message"]
    assert (body["created"], body["rejected"], body["rows_done"]) == (2, 2, 4)
    assert body["new_outlets"] == ["新开的酒吧"]
    assert body["progress"] == 1.0 and body["seconds_left"] is None
    assert Visit.objects.filter(property=world.h1).count() == 2


def test_problems_are_paged(world, posted):
    client = api(world.gm)
    first = client.get(f"/api/imports/{posted['id']}/problems", {"limit": 1}).json()
    assert first["count"] == 2 and len(first["items"]) == 1 and first["next"]
    assert first["items"][0]["line"] == 4 and first["items"][0]["value"] == "2026-02-30 19:00"
    second = client.get(first["next"]).json()
    assert second["items"][0]["line"] == 5 and second["next"] is None


def test_list_shows_only_runs_of_properties_the_user_imports_into(world, posted):
    assert [r["id"] for r in api(world.gm).get("/api/imports").json()["items"]] == [posted["id"]]
    assert api(world.gm2).get("/api/imports").json()["items"] == []
    assert api(world.gm2).get(f"/api/imports/{posted['id']}").status_code == 404
    assert api(world.gm2).get(f"/api/imports/{posted['id']}/problems").status_code == 404
    assert api(world.gm).get("/api/imports", {"state": "failed"}).json()["items"] == []


@pytest.mark.parametrize("role", ["sm", "am1", "desk", "sup"])
def test_roles_that_do_not_import_get_403(world, posted, role):
    client = api(getattr(world, role))
    assert client.get("/api/imports").status_code == 403
    assert client.get(f"/api/imports/{posted['id']}").status_code == 403
    assert client.get(f"/api/imports/{posted['id']}/problems").status_code == 403
    response = post(client)
    assert response.status_code == 403 and "detail" in response.json()
    assert ImportRun.objects.count() == 1


def test_bad_input_names_the_field_and_keeps_nothing(world, home):
    client = api(world.gm)
    cases = [
        ({"property": "H2"}, "property"),  # not a property the GM imports into
        ({"property": "NOPE"}, "property"),
        ({"kind": "guests"}, "kind"),
        ({"file": None}, "file"),
        ({"mapping": "{not json"}, "mapping"),
        ({"mapping": json.dumps({"occurred_at": "没有这一列"})}, "mapping"),
        ({"mapping": json.dumps({"amount": 4})}, "mapping"),  # occurred_at then missing
        ({"file": csv_file(["甲,乙", "1,2"])}, "file"),  # no known header
        ({"encoding": "klingon"}, "encoding"),
    ]
    for fields, field in cases:
        response = post(client, **fields)
        assert response.status_code == 422, (fields, response.content)
        assert field in response.json()["errors"], (fields, response.json())
    assert ImportRun.objects.count() == 0
    assert not (home / "imports").exists() or list((home / "imports").iterdir()) == []


@pytest.mark.parametrize("mapping", ["[" * 3000, '{"amount": "\\ud800"}', '{"\\udfff": 1}', '{"amount": "a\\u0000"}'],
                         ids=["deeply-nested", "lone-surrogate-value", "lone-surrogate-key", "nul"])
def test_a_mapping_that_is_not_text_is_a_422_that_echoes_nothing(world, home, mapping):
    """JSON nested past Python's stack, or escapes that spell a lone surrogate or a NUL: a
    clear 422 on `mapping`, never a 500, and the answer can be encoded."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(world.gm)[1]}", HTTP_ACCEPT_LANGUAGE="en",
                    raise_request_exception=False)
    response = post(client, mapping=mapping)
    assert response.status_code == 422, response.content
    assert "mapping" in response.json()["errors"]
    assert b"\\ud800" not in response.content and b"\\udfff" not in response.content
    assert ImportRun.objects.count() == 0
    assert not (home / "imports").exists() or list((home / "imports").iterdir()) == []


def test_a_mapping_by_header_name_or_position(world, django_capture_on_commit_callbacks):
    lines = ["单据号,客户编号,交易时刻,交易额", "D101,C001,2026-11-03 19:30,128.00"]
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api(world.gm), file=csv_file(lines),
                        mapping=json.dumps({"doc_no": 0, "customer_code": "客户编号", "occurred_at": "交易时刻",
                                            "amount": 3}))
    assert response.status_code == 202, response.content
    run = ImportRun.objects.get()
    assert (run.state, run.created) == ("done", 1), run.message
    assert str(Visit.objects.get().amount) == "128.00"


def test_a_customers_import_needs_the_right_to_open_files(world):
    response = post(api(world.admin), kind="customers", file=csv_file(["客户编号,姓名", "N1,王五"]))
    assert response.status_code == 403 and ImportRun.objects.count() == 0


def test_too_large_is_413(world, settings):
    settings.IMPORT_MAX_BYTES = 50
    response = post(api(world.gm))
    assert response.status_code == 413 and "MB" in response.json()["detail"]
    assert ImportRun.objects.count() == 0


def test_dry_run_changes_nothing(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api(world.gm), dry_run="true")
    run = ImportRun.objects.get(pk=response.json()["id"])
    assert run.dry_run and run.state == "done" and run.rejected == 2
    assert Visit.objects.count() == 0
