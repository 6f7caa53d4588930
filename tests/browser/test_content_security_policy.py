"""Every page works under the Content-Security-Policy (no inline script or style, everything
vendored): no violation reported by chromium on the login page, the customer list, the 360
page and the API docs (django-ninja's Swagger UI, served from its own static files)."""

import re

import pytest

from tests.browser.test_search_flow import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def violations(page):
    """CSP violations seen by the page: console errors and securitypolicyviolation events."""
    seen = []
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));")
    return seen


def test_no_violation_on_the_main_pages(page, live_server, world, violations):
    page.goto(f"{live_server.url}/login/")
    assert page.locator("#id_username").is_visible()
    log_in(page, live_server, "gm")
    page.goto(f"{live_server.url}/customers/")
    page.locator("table tbody tr").first.wait_for()
    page.wait_for_load_state("networkidle")
    box = page.locator(".topbar input[name=q]")
    box.press_sequentially("zs", delay=40)  # htmx at work: the suggestion list
    page.locator("#search-suggest .suggest-item").first.wait_for()
    page.goto(f"{live_server.url}/customers/{world.c_am1.pk}/")
    page.locator("#history").wait_for()
    page.wait_for_load_state("networkidle")
    assert "张三" in page.locator("h1").first.inner_text()
    assert violations == []


def test_no_violation_on_the_api_docs(page, live_server, world, violations):
    log_in(page, live_server, "gm")
    page.goto(f"{live_server.url}/api/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    page.locator(".swagger-ui .opblock").first.click()  # Swagger UI's scripts at work
    page.locator(".swagger-ui .try-out").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert re.search(r"Yingke API", page.locator(".swagger-ui .info").inner_text())
    assert violations == []


def test_a_violation_would_be_seen(page, live_server, db, violations):
    """The check itself works: an inline script is refused and reported."""
    page.goto(f"{live_server.url}/login/")
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = '1'; "
                  "document.body.appendChild(s); }")
    page.wait_for_timeout(300)
    assert violations
