"""Every UI string goes through gettext and has a Chinese translation (zh-Hans is the
default language; message ids are the English text)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require

SRC = Path(__file__).resolve().parents[2] / "src" / "yingke"
DJANGO_ADMIN = Path(sys.executable).parent / "django-admin"


@pytest.fixture(autouse=True)
def gettext_tools():
    require(shutil.which("msgfmt") is not None, "gettext (msgfmt)")


def packages():
    return sorted(p for p in SRC.iterdir() if (p / "__init__.py").exists() and p.name != "__pycache__")


def test_every_package_with_translatable_text_has_a_catalogue():
    for pkg in packages():
        texts = [f for f in pkg.rglob("*.py") if re.search(r"\bgettext|\b_\(", f.read_text())]
        texts += list(pkg.rglob("*.html"))
        if texts:
            assert (pkg / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").exists(), pkg.name


def test_catalogues_are_complete_and_current(tmp_path):
    """Re-extract the strings from a copy of the code: nothing may be untranslated or fuzzy."""
    copy = tmp_path / "yingke"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "static", "*.mo"))
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="yingke.settings")
    problems = []
    for pkg in packages():
        if not (pkg / "locale").is_dir():
            continue
        subprocess.run([str(DJANGO_ADMIN), "makemessages", "-l", "zh_Hans", "--no-obsolete"], cwd=copy / pkg.name,
                       env=env, check=True, capture_output=True)
        po = copy / pkg.name / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
        out = subprocess.run(["msgfmt", "--statistics", "-o", os.devnull, str(po)], capture_output=True, text=True,
                             env=dict(env, LC_ALL="C"))
        stats = out.stderr.strip()
        if "untranslated" in stats or "fuzzy" in stats:
            missing = re.findall(r'msgid "(.+)"\nmsgstr ""\n\n', po.read_text())
            problems.append(f"{pkg.name}: {stats}: {missing[:10]}")
    assert not problems, "\n".join(problems)


def test_compiled_catalogues_match_sources(tmp_path):
    """The committed .mo files hold exactly what the current .po files say."""
    import gettext

    for po in SRC.rglob("locale/zh_Hans/LC_MESSAGES/django.po"):
        mo = po.with_suffix(".mo")
        assert mo.exists(), f"{mo} missing: run compilemessages"
        fresh = tmp_path / "fresh.mo"
        subprocess.run(["msgfmt", "-o", str(fresh), str(po)], check=True)
        with open(mo, "rb") as a, open(fresh, "rb") as b:
            committed, current = gettext.GNUTranslations(a)._catalog, gettext.GNUTranslations(b)._catalog
        assert committed == current, f"{mo} is stale: run compilemessages"
