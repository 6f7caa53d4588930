"""R-2.7 in a real browser: log in, type `zs` in the search box, 张三 comes first, open the file."""

import re

import pytest

from tests.conftest import PASSWORD, make_customer

pytestmark = pytest.mark.browser


@pytest.fixture
def guests(transactional_db, world):
    make_customer(world.h1, "C010", "张山", owner=world.am1, mobile="15012345678")
    make_customer(world.h1, "C011", "朱珊珊", owner=world.am1)
    return world


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def test_search_zs_finds_zhang_san_first_and_opens_the_file(page, live_server, guests):
    log_in(page, live_server, "gm")
    box = page.locator(".topbar input[name=q]")
    box.click()
    box.press_sequentially("zs", delay=60)
    first = page.locator("#search-suggest .suggest-item").first
    first.wait_for()
    assert first.locator(".suggest-name").inner_text() == "张三"
    names = page.locator("#search-suggest .suggest-name").all_inner_texts()
    assert "张山" in names  # zs as well, but after the exact initials of a two-character name
    first.click()
    page.wait_for_url(re.compile(rf"/customers/{guests.c_am1.pk}/$"))
    assert "张三" in page.locator("h1").first.inner_text()
    assert page.locator("#preferences").is_visible() and page.locator("#history").is_visible()


def test_enter_opens_results_and_a_note_is_added_in_place(page, live_server, guests):
    log_in(page, live_server, "desk")
    box = page.locator(".topbar input[name=q]")
    box.fill("zs")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=zs"))
    rows = page.locator("table tbody tr")
    assert rows.first.locator("a").inner_text() == "张三"
    assert "138****5678" in rows.first.inner_text()  # front desk sees masked mobiles
    rows.first.locator("a").click()
    page.wait_for_url(re.compile(rf"/customers/{guests.c_am1.pk}/$"))
    page.fill("#notes textarea[name=text]", "客人要求高楼层")
    page.click("#notes button[type=submit]")
    page.locator("#notes .note-text", has_text="客人要求高楼层").wait_for()
    # The history section refreshed itself after the change (htmx event).
    page.locator("#history", has_text="客人要求高楼层").wait_for()
