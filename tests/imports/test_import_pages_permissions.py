"""Who may use the import pages (R-1.2, R-3.2): general managers and administrators of the
property (IMPORT); a customers import also needs the right to open files (CREATE: not
administrators). Every other role gets 403 on every import route; another property's
general manager gets 404 for a run that is not theirs, and never sees it in the list."""

import io

import pytest
from django.test import Client

from tests.conftest import make_user
from yingke.core.roles import Role
from yingke.imports.models import ImportRun

pytestmark = pytest.mark.django_db

LINES = ["单据号,客户编号,消费时间,实收", "D001,C001,2026-11-03 19:30,128", "D002,C001,2026-13-03 19:30,128"]


@pytest.fixture(autouse=True)
def home(settings, tmp_path):
    settings.HOME = tmp_path


def client_for(user):
    c = Client()
    c.force_login(user)
    c.cookies["django_language"] = "en"
    return c


def csv_file(name="pos.csv"):
    f = io.BytesIO(("\n".join(LINES) + "\n").encode())
    f.name = name
    return f


@pytest.fixture
def done_run(world, django_capture_on_commit_callbacks):
    """A finished H1 import with one rejected row, started by the GM."""
    gm = client_for(world.gm)
    gm.post("/imports/new/", {"property": "H1", "kind": "visits", "file": csv_file()})
    run = ImportRun.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        gm.post(f"/imports/{run.pk}/start/", {"map-0": "doc_no", "map-1": "customer_code", "map-2": "occurred_at",
                                              "map-3": "amount", "action": "start"})
    run.refresh_from_db()
    assert run.state == "done" and run.rejected == 1, run.message
    return run


def run_routes(run):
    return [("get", f"/imports/{run.pk}/"), ("post", f"/imports/{run.pk}/start/"),
            ("post", f"/imports/{run.pk}/discard/"), ("get", f"/imports/{run.pk}/progress/"),
            ("get", f"/imports/{run.pk}/rejected.csv"), ("get", f"/imports/{run.pk}/problems.csv"),
            ("get", f"/imports/{run.pk}/problems.xlsx")]


@pytest.mark.parametrize("role", ["sm", "am1", "desk", "sup"])
def test_roles_that_do_not_import_get_403_everywhere(world, done_run, role):
    c = client_for(getattr(world, role))
    assert c.get("/imports/").status_code == 403
    assert c.get("/imports/new/").status_code == 403
    response = c.post("/imports/new/", {"property": "H1", "kind": "visits", "file": csv_file()})
    assert response.status_code == 403
    for method, url in run_routes(done_run):
        response = getattr(c, method)(url)
        assert response.status_code == 403, (role, url)
        assert "2026-13-03" not in response.content.decode(errors="ignore")
    assert ImportRun.objects.count() == 1
    assert "/imports/" not in c.get("/").content.decode()  # no menu link


def test_another_propertys_general_manager_gets_404_and_an_empty_list(world, done_run):
    c = client_for(world.gm2)
    for method, url in run_routes(done_run):
        response = getattr(c, method)(url)
        assert response.status_code == 404, url
        assert "2026-13-03" not in response.content.decode(errors="ignore")
    assert "pos.csv" not in c.get("/imports/").content.decode()
    # nor can they import into H1
    response = c.post("/imports/new/", {"property": "H1", "kind": "visits", "file": csv_file()})
    assert response.status_code == 422 and ImportRun.objects.count() == 1


def test_the_menu_shows_imports_to_general_managers(world):
    assert 'href="/imports/"' in client_for(world.gm).get("/").content.decode()


def test_an_administrator_imports_visits_but_not_guest_files(world, done_run):
    admin = client_for(world.admin)
    page = admin.get("/imports/new/").content.decode()
    assert 'value="visits"' in page and 'value="customers"' not in page
    response = admin.post("/imports/new/", {"property": "H1", "kind": "customers", "file": csv_file()})
    assert response.status_code == 422 and ImportRun.objects.count() == 1  # not a choice they have
    assert admin.post("/imports/new/", {"property": "H1", "kind": "visits", "file": csv_file()}).status_code == 302
    assert admin.get(f"/imports/{done_run.pk}/").status_code == 200
    # the problem table is an export of guest data: administrators may not export
    assert admin.get(f"/imports/{done_run.pk}/problems.csv").status_code == 403


def test_a_general_manager_of_two_properties_chooses_the_property(world):
    boss = make_user("boss", Role.GENERAL_MANAGER, world.h1)
    boss.properties.add(world.h2)
    c = client_for(boss)
    page = c.get("/imports/new/").content.decode()
    assert 'name="property"' in page and "H2" in page and "<select" in page
    assert c.post("/imports/new/", {"property": "H2", "kind": "visits", "file": csv_file()}).status_code == 302
    assert ImportRun.objects.get().property == world.h2
    # gm of H1 only does not see the H2 run
    assert client_for(world.gm).get(f"/imports/{ImportRun.objects.get().pk}/").status_code == 404


def test_anonymous_is_sent_to_the_login_page(world, done_run):
    for method, url in [("get", "/imports/"), ("get", "/imports/new/"), *run_routes(done_run)]:
        response = getattr(Client(), method)(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_odd_input_is_a_clear_message_never_a_500(world):
    gm = client_for(world.gm)
    assert gm.post("/imports/new/", {"property": "H1", "kind": "visits"}).status_code == 422  # no file
    assert gm.post("/imports/new/", {"property": "\x00", "kind": "x", "file": csv_file()}).status_code == 422
    assert gm.post("/imports/new/", {"property": "H1", "kind": "visits", "file": csv_file(),
                                     "sheet": "a\x00b", "encoding": "klingon"}).status_code == 422
    odd = io.BytesIO("单据号,消费时间,实收\nD\ud7ff,2026-11-03,1\n".encode())
    odd.name = "\u202e\u200bodd\x01name.csv"
    assert gm.post("/imports/new/", {"property": "H1", "kind": "visits", "file": odd}).status_code == 302
    run = ImportRun.objects.get()
    assert "\x01" not in run.file_name
    assert gm.get(f"/imports/{run.pk}/?encoding=\x00&sheet=" + "x" * 500).status_code == 200
    assert gm.post(f"/imports/{run.pk}/start/", {"map-0": "nonsense", "map-99": "amount"}).status_code == 422
    assert gm.get("/imports/?after=abc").status_code == 200
    assert gm.get(f"/imports/{run.pk}/problems.pdf").status_code == 404


def test_an_upload_without_the_csrf_token_is_refused_and_not_kept(world, settings, tmp_path):
    c = Client(enforce_csrf_checks=True)
    c.force_login(world.gm)
    response = c.post("/imports/new/", {"property": "H1", "kind": "visits", "file": csv_file()})
    assert response.status_code == 403
    assert ImportRun.objects.count() == 0
    assert not (tmp_path / "imports").exists() or list((tmp_path / "imports").iterdir()) == []
