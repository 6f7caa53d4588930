"""`yingke qr --property CODE --out FILE [--outlet CODE ...] [--locations FILE] [--base-url URL]`:
the QR sheet of the feedback page from the command line; every problem → a message, exit 2,
no file written. Run in-process (main.main) against the test database."""

import io
import re
import zipfile

import pytest
from django.test import override_settings
from django.utils import translation
from PIL import Image

from yingke.cli.main import build_parser
from yingke.cli.main import main as yingke
from yingke.complaints import qr
from yingke.core.models import Outlet

BASE = "https://crm.example.com"


def test_the_command_is_registered():
    sub = next(a for a in build_parser()._actions if hasattr(a, "choices") and isinstance(a.choices, dict))
    assert "qr" in sub.choices, "register yingke.cli.qr.add_parsers in cli/main.py"


@pytest.fixture
def run(world, capsys, monkeypatch):
    test_the_command_is_registered()
    monkeypatch.setenv("LANGUAGE", "en")

    def run(*args):
        with translation.override("en"):
            try:
                code = yingke([str(a) for a in args])
            except SystemExit as e:  # argparse
                code = e.code
        out = capsys.readouterr()
        return code, out.out + out.err

    Outlet.objects.create(property=world.h1, code="ROOMS", name="客房", kind=Outlet.Kind.ROOMS)
    return run


def pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data))


def test_every_outlet_as_pdf(run, tmp_path):
    out = tmp_path / "sheet.pdf"
    code, output = run("qr", "--property", "H1", "--out", out, "--base-url", BASE)
    assert code == 0, output
    assert "2 pages written to" in output
    assert pages(out.read_bytes()) == 2


def test_chosen_outlets_and_locations(run, tmp_path):
    spots = tmp_path / "rooms.txt"
    spots.write_text("801\n802\n\n# a comment\n802\n", encoding="utf-8")
    out = tmp_path / "rooms.pdf"
    code, output = run("qr", "--property", "h1", "--outlet", "rooms", "--locations", spots, "--out", out,
                       "--base-url", BASE)
    assert code == 0, output
    assert pages(out.read_bytes()) == 2
    spots.write_text("ROOMS,801\nCN\tA1\nCN,A2\n", encoding="utf-8")
    code, output = run("qr", "--property", "H1", "--locations", spots, "--out", out, "--base-url", BASE)
    assert code == 0, output
    assert pages(out.read_bytes()) == 3


def test_png_of_one_page_and_zip_of_several(run, tmp_path):
    png = tmp_path / "cn.png"
    assert run("qr", "--property", "H1", "--outlet", "CN", "--out", png, "--base-url", BASE)[0] == 0
    assert Image.open(png).size == (qr.WIDTH, qr.HEIGHT)
    code, output = run("qr", "--property", "H1", "--out", tmp_path / "all.png", "--base-url", BASE)
    assert code == 2 and "2 pages" in output and ".zip" in output
    assert not (tmp_path / "all.png").exists()
    archive = tmp_path / "all.zip"
    assert run("qr", "--property", "H1", "--out", archive, "--base-url", BASE)[0] == 0
    with zipfile.ZipFile(archive) as z:
        assert len(z.namelist()) == 2
        assert Image.open(io.BytesIO(z.read(z.namelist()[0]))).size == (qr.WIDTH, qr.HEIGHT)


@override_settings(PUBLIC_URL="https://guest.example.com")
def test_the_address_from_the_setting(run, tmp_path):
    assert run("qr", "--property", "H1", "--outlet", "CN", "--out", tmp_path / "a.png")[0] == 0


@pytest.mark.parametrize("args, message", [
    (["--property", "NOPE"], "unknown property"),
    (["--property", "H1", "--outlet", "BAR"], "unknown outlet"),
    (["--property", "H1", "--base-url", "crm.example.com"], "address"),
])
def test_bad_arguments_exit_2(run, tmp_path, args, message):
    out = tmp_path / "x.pdf"
    code, output = run("qr", *args, "--out", out, *([] if "--base-url" in args else ["--base-url", BASE]))
    assert code == 2 and message in output
    assert not out.exists()


def test_bad_output_files_exit_2(run, tmp_path):
    code, output = run("qr", "--property", "H1", "--out", tmp_path / "x.txt", "--base-url", BASE)
    assert code == 2 and ".pdf" in output
    code, output = run("qr", "--property", "H1", "--out", tmp_path / "missing" / "x.pdf", "--base-url", BASE)
    assert code == 2 and "does not exist" in output
    (tmp_path / "dir.pdf").mkdir()
    assert run("qr", "--property", "H1", "--out", tmp_path / "dir.pdf", "--base-url", BASE)[0] == 2


def test_without_an_address_exit_2(run, tmp_path):
    code, output = run("qr", "--property", "H1", "--out", tmp_path / "x.pdf")
    assert code == 2 and "--base-url" in output


def test_bad_locations_exit_2(run, tmp_path):
    spots = tmp_path / "spots.txt"
    spots.write_text("801\n", encoding="utf-8")
    out = tmp_path / "x.pdf"
    code, output = run("qr", "--property", "H1", "--locations", spots, "--out", out, "--base-url", BASE)
    assert code == 2 and "line 1" in output  # two outlets printed: a plain line names none
    spots.write_text("ROOMS,801\n", encoding="utf-8")
    code, output = run("qr", "--property", "H1", "--outlet", "CN", "--locations", spots, "--out", out,
                       "--base-url", BASE)
    assert code == 2 and "ROOMS" in output
    spots.write_text("x" * 41 + "\n", encoding="utf-8")
    assert run("qr", "--property", "H1", "--outlet", "CN", "--locations", spots, "--out", out,
               "--base-url", BASE)[0] == 2
    code, output = run("qr", "--property", "H1", "--locations", tmp_path / "none.txt", "--out", out,
                       "--base-url", BASE)
    assert code == 2 and "none.txt" in output
    assert not out.exists()


def test_a_missing_font_exits_2(run, tmp_path, monkeypatch):
    monkeypatch.setattr(qr, "FONT", tmp_path / "gone.ttc")
    out = tmp_path / "x.pdf"
    code, output = run("qr", "--property", "H1", "--out", out, "--base-url", BASE)
    assert code == 2 and "gone.ttc" in output and "make system-deps" in output
    assert not out.exists()


def test_usage_errors_exit_2(run, tmp_path):
    assert run("qr", "--out", tmp_path / "x.pdf")[0] == 2
    assert run("qr", "--property", "H1")[0] == 2
