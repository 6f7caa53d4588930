"""An account manager's day in a real browser (issue 14 point 8, R-6.4): log in → the home page
is the daily control table → open a customer past their expected next visit → record a note on
the 360 page → back to the table: the row has left it (a note on or after the expected date is
acting on it), the other overdue customer is still there; no console error, no CSP violation."""

import datetime as dt
import re

import pytest

from tests.conftest import PASSWORD, make_customer
from yingke.customers.models import Customer, Note

pytestmark = pytest.mark.browser


@pytest.fixture
def day(world):
    h1, am1 = world.h1, world.am1
    today = h1.local_today()
    late = make_customer(h1, "B001", "王小二", owner=am1, mobile="13800138000")
    other = make_customer(h1, "B002", "李老四", owner=am1)
    for c, days in ((late, 5), (other, 2)):
        Customer.objects.filter(pk=c.pk).update(
            expected_next_visit=today - dt.timedelta(days=days), usual_interval=14, grade="A",
            last_visit_at=h1.day_start(today - dt.timedelta(days=days + 14), dt.time(12)))
    return late, other


@pytest.fixture
def problems(page):
    seen = []
    page.on("console", lambda m: seen.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.append(str(e)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));")
    return seen


def test_log_in_open_an_overdue_customer_note_and_the_row_leaves(page, live_server, world, day, problems):
    late, other = day
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "am1")
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/control/today/$"))  # the home page is the control table

    overdue = page.locator("#section-overdue")
    assert overdue.locator(f"tr[data-customer='{late.pk}']").count() == 1
    assert overdue.locator(f"tr[data-customer='{other.pk}']").count() == 1
    assert overdue.locator(".control-count").get_attribute("data-count") == "2"

    overdue.locator(f"tr[data-customer='{late.pk}'] a", has_text="王小二").click()
    page.wait_for_url(re.compile(rf"/customers/{late.pk}/$"))
    notes = page.locator("#notes")
    notes.locator("textarea[name=text]").fill("电话联系：下周三中午订包间")
    notes.locator("button[type=submit]").click()
    page.locator("#notes .note-text", has_text="下周三中午订包间").wait_for()
    assert Note.objects.filter(customer=late, author=world.am1).count() == 1

    page.locator(".mainnav a[href='/']").click()  # Home → the control table again
    page.wait_for_url(re.compile(r"/control/today/$"))
    overdue = page.locator("#section-overdue")
    assert overdue.locator(f"tr[data-customer='{late.pk}']").count() == 0  # the row is gone
    assert overdue.locator(f"tr[data-customer='{other.pk}']").count() == 1
    assert overdue.locator(".control-count").get_attribute("data-count") == "1"
    assert problems == []
