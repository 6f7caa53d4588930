"""The Content-Security-Policy (script-src 'self') blocks inline scripts: no template of the
grading and reports apps may carry an inline event handler or a <script> without src, and the
grading page's property switcher submits with a visible button."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

import yingke

ROOT = Path(yingke.__file__).parent
TEMPLATES = sorted([*(ROOT / "grading" / "templates").rglob("*.html"), *(ROOT / "reports" / "templates").rglob("*.html")])
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def test_there_are_templates_to_scan():
    assert len(TEMPLATES) > 5


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_inline_event_handler_or_script(path):
    text = path.read_text(encoding="utf-8")
    assert not HANDLER.findall(text), path
    assert not INLINE_SCRIPT.findall(text), path


def test_the_property_switcher_has_a_visible_submit_button(world):
    from tests.conftest import make_user
    from yingke.core.roles import Role

    gm = make_user("gm_both", Role.GENERAL_MANAGER, world.h1)
    gm.properties.add(world.h2)
    c = Client()
    c.force_login(gm)
    text = c.get(reverse("grading:index")).content.decode()
    assert 'name="property"' in text and "<select" in text
    assert "<noscript>" not in text
    assert not HANDLER.findall(text)
    form = text[text.index('<form class="page-actions"'):]
    form = form[:form.index("</form>")]
    assert 'type="submit"' in form
