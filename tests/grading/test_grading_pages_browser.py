"""The grading pages and the 360 page's grade card in a real browser (chromium): the card loads
after the page (htmx), the general manager sets a grade by hand with a reason and sees it beside
the computed grade; screenshots of each page go to test-artifacts/gradeui-*.png."""

import re

import pytest

from tests.browser.conftest import ARTIFACTS, browser, page  # noqa: F401 (fixtures)
from tests.conftest import PASSWORD
from tests.grading.test_grading_pages_helpers import make_run

pytestmark = pytest.mark.browser


def log_in(page, live_server, username):  # noqa: F811
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def shot(page, name):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"gradeui-{name}.png"), full_page=True)


def test_the_general_manager_grades_and_overrides(page, live_server, transactional_db, world):  # noqa: F811
    import datetime as dt

    make_run(world.h1, as_of=dt.date(2026, 10, 1), user=world.gm)
    run = make_run(world.h1, user=world.gm)
    log_in(page, live_server, "gm")
    page.goto(f"{live_server.url}/grading/")
    assert page.locator("#runs table tbody tr").count() == 2
    shot(page, "index")
    page.goto(f"{live_server.url}/grading/runs/{run.pk}/")
    assert page.locator("tr.entry-row").count() == 4
    shot(page, "run")
    page.goto(f"{live_server.url}/customers/{world.c_am3.pk}/")
    card = page.locator("#grade")
    card.locator("table.grade-history").wait_for()
    card.locator("select[name=grade]").select_option("A")
    card.locator("input[name=reason]").first.fill("集团重点客户")
    card.locator("button[type=submit]").first.click()
    page.locator("#grade >> text=集团重点客户").wait_for()
    assert page.locator("#grade .grade-lg.grade-a").is_visible()
    assert page.locator("#grade .grade.grade-c").first.is_visible()  # the computed grade beside it
    assert page.locator("#grade-badge .grade-a").is_visible()  # the head's badge follows
    shot(page, "card")
    page.goto(f"{live_server.url}/customers/?order=grade")
    assert page.locator("td.grade-col .grade-a").count() >= 1
    shot(page, "list")
