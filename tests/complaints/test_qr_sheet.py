"""The QR sheet of the public feedback page (R-8.4): one A4 page per outlet or location,
PDF or PNG, each code the matrix of its page's address; the staff page for whoever may
configure the property."""

import io
import re
import zipfile
from urllib.parse import urlsplit

import pytest
import segno
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import resolve
from PIL import Image

from yingke.complaints import feedback, qr
from yingke.core.models import AuditEvent, Outlet
from yingke.core.permissions import SYSTEM

BASE = "https://crm.example.com"


@pytest.fixture
def outlets(world):
    cn = Outlet.objects.get(property=world.h1, code="CN")
    rooms = Outlet.objects.create(property=world.h1, code="ROOMS", name="客房", kind=Outlet.Kind.ROOMS)
    return cn, rooms


def pdf_pages(data: bytes) -> int:
    assert data.startswith(b"%PDF-")
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data))


def read_matrix(image: Image.Image, box, modules: int) -> tuple:
    """The modules drawn on the page, read back at the centre of each."""
    left, top, scale = box
    px = image.convert("L").load()
    return tuple(bytearray(1 if px[left + c * scale + scale // 2, top + r * scale + scale // 2] < 128 else 0
                           for c in range(modules)) for r in range(modules))


def target_of(url: str):
    assert url.startswith(BASE + "/f/")
    match = resolve(urlsplit(url).path)
    assert match.view_name == "feedback:page"
    return feedback.read_token(match.kwargs["token"])


def test_one_page_per_outlet_and_per_location(world, outlets):
    cn, rooms = outlets
    pages = qr.plan(world.gm, world.h1, [(cn, []), (rooms, ["801", "802", "803"])], BASE)
    assert [(p.outlet_name, p.location) for p in pages] == [("中餐厅", ""), ("客房", "801"), ("客房", "802"),
                                                            ("客房", "803")]
    assert {p.property_name for p in pages} == {"迎客大酒店"}
    targets = [target_of(p.url) for p in pages]
    assert [(t.property, t.outlet, t.location) for t in targets] == [
        (world.h1, cn, ""), (world.h1, rooms, "801"), (world.h1, rooms, "802"), (world.h1, rooms, "803")]
    assert AuditEvent.objects.filter(action="complaints.qr_sheet", user=world.gm, rows=4).exists()


def test_pdf_has_one_page_per_code(world, outlets):
    cn, rooms = outlets
    pages = qr.plan(world.gm, world.h1, [(cn, []), (rooms, ["801", "802"]), (None, [])], BASE)
    data = qr.pdf(pages)
    assert pdf_pages(data) == 4
    content, content_type, ext = qr.sheet(pages, "pdf")
    assert (content_type, ext) == ("application/pdf", "pdf") and pdf_pages(content) == 4


def test_each_code_is_the_matrix_of_its_address(world, outlets):
    cn, rooms = outlets
    for page in qr.plan(world.gm, world.h1, [(cn, []), (rooms, ["8808"])], BASE):
        image = Image.open(io.BytesIO(qr.png(page)))
        assert image.size == (qr.WIDTH, qr.HEIGHT) and image.info["dpi"] == pytest.approx((150, 150), abs=0.1)
        expected = segno.make(page.url, micro=False, error="m")
        assert expected.matrix == segno.make_qr(page.url, error="m").matrix
        modules = len(expected.matrix)
        assert read_matrix(image, page.qr_box, modules) == expected.matrix
        left, top, scale = page.qr_box
        assert scale >= 8  # about 1.4 mm a module at 150 dpi: reads from a table's distance
        # the quiet zone around the code is white
        px = image.convert("L").load()
        for d in range(1, 4 * scale):
            assert px[left - d, top + scale // 2] == 255 and px[left + modules * scale + d - 1, top] == 255


def test_png_of_several_pages_is_a_zip_of_pngs(world, outlets):
    cn, rooms = outlets
    pages = qr.plan(world.gm, world.h1, [(cn, []), (rooms, ["801", "802"])], BASE)
    content, content_type, ext = qr.sheet(pages, "png")
    assert (content_type, ext) == ("application/zip", "zip")
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        names = z.namelist()
        assert names == ["001-CN.png", "002-ROOMS-801.png", "003-ROOMS-802.png"]
        for name in names:
            assert Image.open(io.BytesIO(z.read(name))).size == (qr.WIDTH, qr.HEIGHT)
    single, content_type, ext = qr.sheet(pages[:1], "png")
    assert (content_type, ext) == ("image/png", "png") and single.startswith(b"\x89PNG")


def test_only_who_configures_the_property_prints(world):
    cn = Outlet.objects.get(property=world.h1, code="CN")
    assert qr.plan(world.admin, world.h1, [(cn, [])], BASE)
    assert qr.plan(SYSTEM, world.h1, [(cn, [])], BASE)
    for user in (world.desk, world.sup, world.sm, world.am1, world.gm2):
        with pytest.raises(PermissionDenied):
            qr.plan(user, world.h1, [(cn, [])], BASE)


def test_bad_input(world, outlets):
    cn, _rooms = outlets
    with pytest.raises(ValidationError):
        qr.plan(world.gm, world.h1, [], BASE)
    with pytest.raises(ValidationError):
        qr.plan(world.gm, world.h1, [(Outlet.objects.get(property=world.h2), [])], BASE)
    for base in ("crm.example.com", "ftp://crm.example.com", "https://", "https://x.example/?a=1"):
        with pytest.raises(ValidationError):
            qr.plan(world.gm, world.h1, [(cn, [])], base)
    with pytest.raises(ValidationError):
        qr.plan(world.gm, world.h1, [(cn, [str(n) for n in range(qr.MAX_PAGES + 1)])], BASE)


def test_locations_one_per_line(world):
    errors = {}
    assert qr.parse_locations(" A1 \n\nA2\r\nA1\n 包间 牡丹厅 ", "l", errors) == ["A1", "A2", "包间 牡丹厅"]
    assert not errors
    assert qr.parse_locations("A1\n" + "x" * 41 + "\nB\x07", "l", errors) == ["A1"]
    assert len(errors["l"]) == 2 and errors["l"][0].startswith(("Line 2", "第 2"))


def test_a_missing_font_is_refused_loudly(world, monkeypatch, tmp_path):
    monkeypatch.setattr(qr, "FONT", tmp_path / "none.ttc")
    cn = Outlet.objects.get(property=world.h1, code="CN")
    with pytest.raises(qr.SheetError, match="none.ttc"):
        qr.plan(world.gm, world.h1, [(cn, [])], BASE)
    with pytest.raises(qr.SheetError):
        qr.render_page(qr.Page("迎客", "", "", BASE + "/f/x/", "H1"))


def test_the_address_comes_from_the_setting_or_the_request(rf):
    request = rf.get("/complaints/qr/", HTTP_HOST="localhost:8000")
    assert qr.base_url(request) == "http://localhost:8000"
    with override_settings(PUBLIC_URL="https://guest.example.com/"):
        assert qr.base_url(request) == "https://guest.example.com"
        assert qr.base_url() == "https://guest.example.com"
    assert qr.base_url() == ""


# ---- the staff page --------------------------------------------------------------------

def test_staff_page_for_the_general_manager(client, world, outlets):
    client.force_login(world.gm)
    r = client.get("/complaints/qr/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "中餐厅" in html and "客房" in html and "http://testserver" in html


@pytest.mark.parametrize("who", ["desk", "sup", "am1", "sm"])
def test_staff_page_refused_to_other_roles(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get("/complaints/qr/").status_code == 403


def test_staff_page_of_another_property_is_404(client, world):
    client.force_login(world.gm)
    assert client.get("/complaints/qr/?property=H2").status_code == 404
    assert client.get("/complaints/qr/?property=NOPE").status_code == 404


def test_staff_page_needs_a_login(client):
    assert client.get("/complaints/qr/").status_code == 302


def test_download_pdf_and_png(client, world, outlets):
    cn, rooms = outlets
    client.force_login(world.gm)
    r = client.post("/complaints/qr/", {"property": "H1", "fmt": "pdf", f"o{cn.pk}": "on",
                                        f"l{rooms.pk}": "801\n802\n"})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert 'attachment; filename="feedback-qr-H1.pdf"' == r["Content-Disposition"]
    assert pdf_pages(r.content) == 3
    r = client.post("/complaints/qr/", {"property": "H1", "fmt": "png", f"o{cn.pk}": "on"})
    assert r["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(r.content))
    assert image.size == (qr.WIDTH, qr.HEIGHT)
    r = client.post("/complaints/qr/", {"property": "H1", "fmt": "png", "whole": "on", f"o{cn.pk}": "on"})
    assert r["Content-Type"] == "application/zip"


@override_settings(PUBLIC_URL="https://guest.example.com")
def test_download_uses_the_public_address(client, world, outlets):
    cn, _rooms = outlets
    client.force_login(world.gm)
    r = client.post("/complaints/qr/", {"property": "H1", "fmt": "png", f"o{cn.pk}": "on"})
    expected = qr.page_url("https://guest.example.com", world.h1, cn)
    # tokens carry no timestamp: the same target gives the same code
    image = Image.open(io.BytesIO(r.content))
    page = qr.Page("", "", "", expected, "")
    qr.render_page(page)
    assert read_matrix(image, page.qr_box, len(qr.qr_code(expected).matrix)) == qr.qr_code(expected).matrix


def test_download_with_nothing_chosen_or_bad_lines_is_422(client, world, outlets):
    cn, rooms = outlets
    client.force_login(world.gm)
    r = client.post("/complaints/qr/", {"property": "H1", "fmt": "pdf"})
    assert r.status_code == 422 and "text/html" in r["Content-Type"]
    r = client.post("/complaints/qr/", {"property": "H1", "fmt": "pdf", f"l{rooms.pk}": "x" * 41})
    assert r.status_code == 422
    r = client.post("/complaints/qr/", {"property": "H1", "fmt": "gif", f"o{cn.pk}": "on"})
    assert r.status_code == 422
