"""R-2.8 in a real browser: the list of possible duplicates, "compare and merge", choose a
value from the other file, merge, land on the kept file; the old link opens it.

With YK_SHOTS=<dir> it also saves screenshots of the list and the merge screen in Chinese
and English (the pages staff work through)."""

import os
import re
from pathlib import Path

import pytest

from tests.browser.test_search_flow import log_in
from tests.conftest import make_customer
from yingke.customers import services
from yingke.customers.identity import id_check_char
from yingke.customers.models import Customer
from yingke.customers.services import add_note, add_preference

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("YK_SHOTS")
ID = "11010119670512001" + id_check_char("11010119670512001")


@pytest.fixture
def dups(transactional_db, world):
    w = world
    w.kept = make_customer(w.h1, "C101", "欧阳修", owner=w.am1, mobile="13911112222", employer="醉翁亭文化")
    w.other = make_customer(w.h1, "C377", "欧阳秀", owner=w.am1, mobile="13911112222", employer="醉翁亭文化",
                            job_title="董事长", email="ouyang@example.com", hobbies="书法、品茶")
    services.save_customer(w.gm, Customer.objects.get(pk=w.other.pk), id_number=ID)
    add_note(w.gm, w.other, "喜欢靠窗的包间")
    add_preference(w.gm, w.other, "tea", "西湖龙井")
    w.other.tags.set(services.tags_from_names(w.h1, ["VIP"]))
    make_customer(w.h1, "C102", "张飞", birth_date="1980-05-01", mobile="13700001234")
    make_customer(w.h1, "C288", "张飞", birth_date="1980-05-01")
    make_customer(w.h1, "C205", "诸葛亮", employer="蜀汉集团")
    make_customer(w.h1, "C206", "诸葛亮", employer="蜀汉集团", mobile="13600004321")
    return w


def shoot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        height = page.evaluate("document.documentElement.scrollHeight")
        page.set_viewport_size({"width": 1280, "height": max(860, height)})  # sticky bars where they belong
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))
        page.set_viewport_size({"width": 1280, "height": 860})


def switch_to_english(page):
    page.click(".langswitch button[value=en]")
    page.wait_for_load_state()


def test_work_through_the_list_and_merge_a_pair(page, live_server, dups):
    w = dups
    log_in(page, live_server, "gm")
    page.goto(f"{live_server.url}/duplicates/")
    assert page.locator(".dup-pair").count() == 3
    shoot(page, "duplicates-list-zh")
    pair = page.locator(".dup-pair", has_text="欧阳秀")
    pair.get_by_role("link", name=re.compile("对比并合并|Compare and merge")).click()
    page.wait_for_url(re.compile(rf"/duplicates/merge/{w.kept.pk}/\?other={w.other.pk}"))
    shoot(page, "merge-zh")
    # The ID number appears masked, never in full; choose the other file's name.
    assert ID not in page.content()
    page.check("input[name=choice_name][value=merged]")
    page.get_by_role("button", name=re.compile("合并到保留的档案|Merge into the kept file")).click()
    page.wait_for_url(re.compile(rf"/customers/{w.kept.pk}/$"))
    assert "欧阳秀" in page.locator("h1").first.inner_text()
    assert "喜欢靠窗的包间" in page.content()
    page.goto(f"{live_server.url}/customers/{w.other.pk}/")
    page.wait_for_url(re.compile(rf"/customers/{w.kept.pk}/$"))


def test_not_a_duplicate_and_english_pages(page, live_server, dups):
    log_in(page, live_server, "gm")
    page.goto(f"{live_server.url}/duplicates/")
    switch_to_english(page)
    shoot(page, "duplicates-list-en")
    page.locator(".dup-pair", has_text="诸葛亮").get_by_role("button", name="Not a duplicate").click()
    page.wait_for_load_state()
    assert page.locator(".dup-pair").count() == 2
    assert page.locator(".msg-success").is_visible()
    page.goto(f"{live_server.url}/duplicates/merge/{dups.kept.pk}/?other={dups.other.pk}")
    shoot(page, "merge-en")
    assert page.locator("table.merge-table").is_visible()
