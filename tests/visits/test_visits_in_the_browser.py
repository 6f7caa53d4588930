"""R-3.3 and R-2.3 in a real browser: the 360 page's visits section (profile, a stay, a
refund, a voided visit struck through), a visit's history loaded in place, and the add
form — field errors first, then a visit recorded and counted. In Chinese and English.

With YK_SCREENSHOTS=<dir> the section and the form are saved as PNGs there (YK_EXTRA_LOCALE=<dir>
puts a locale folder first, to look at translations not yet merged).
"""

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone

from tests.browser.conftest import browser  # noqa: F401 (fixture)
from tests.conftest import PASSWORD
from yingke.visits.models import Visit
from yingke.visits.services import record_visit, void_visit

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("YK_SCREENSHOTS")


@pytest.fixture
def file_with_visits(transactional_db, world):
    c, now = world.c_am1, timezone.now()
    outlet = world.h1.outlets.get()
    record_visit(world.am1, c, occurred_at=now - dt.timedelta(days=40), amount="3680", outlet=outlet, covers=10,
                 occasion="hosting", doc_no="POS-1001", table_no="牡丹厅")
    record_visit(world.am1, c, occurred_at=now - dt.timedelta(days=12), amount="1288.50", outlet=outlet, covers=4,
                 occasion="business", doc_no="POS-1002", table_no="A8")
    arrival = timezone.localdate() - dt.timedelta(days=6)
    record_visit(world.desk, c, amount="2040", arrival=arrival, departure=arrival + dt.timedelta(days=3),
                 room_type="行政套房", rate="680", channel="携程", doc_no="PMS-77")
    record_visit(world.am1, c, occurred_at=now - dt.timedelta(days=2), amount="-120", outlet=outlet, doc_no="RF-1")
    wrong = record_visit(world.desk, c, occurred_at=now - dt.timedelta(days=1), amount="888", outlet=outlet)
    void_visit(world.gm, wrong, "重复录入")
    return world


def shot(locator, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        locator.screenshot(path=str(Path(SHOTS) / name))


@pytest.mark.parametrize("lang", ["zh-CN", "en-US"])
def test_the_visits_section_and_the_add_form(browser, live_server, file_with_visits, lang, settings):  # noqa: F811
    if os.environ.get("YK_EXTRA_LOCALE"):
        settings.LOCALE_PATHS = [os.environ["YK_EXTRA_LOCALE"], *settings.LOCALE_PATHS]
    w = file_with_visits
    context = browser.new_context(locale=lang, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    suffix = "zh" if lang.startswith("zh") else "en"
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "am1")
        page.fill("#id_password", PASSWORD)
        page.click("form.form button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))
        page.goto(f"{live_server.url}/customers/{w.c_am1.pk}/")
        section = page.locator("#visits")
        assert section.locator("tr.visit-row").count() == 5
        assert section.locator("tr.visit-void").count() == 1
        text = section.inner_text()
        assert "行政套房" in text and "携程" in text and "重复录入" in text
        assert "6,888.50" in text  # 3680 + 1288.50 + 2040 − 120 (the voided 888 counts nowhere)
        shot(section, f"visits-section-{suffix}.png")
        # A visit's history, loaded in place.
        section.locator("tr.visit-row").first.locator(".visit-actions a").first.click()
        section.locator(".visit-history").first.wait_for()
        shot(section, f"visits-section-history-{suffix}.png")

        page.goto(f"{live_server.url}/visits/customer/{w.c_am1.pk}/add/")
        page.fill("#id_amount", "12.345")
        page.fill("#id_doc_no", "POS-1001")
        page.click("form.visit-form button[type=submit]")
        page.locator("#field-amount .error").wait_for()
        assert page.locator("#field-doc_no .error").count() == 0  # the form stops at its own errors
        shot(page.locator("main"), f"visits-add-form-errors-{suffix}.png")
        page.fill("#id_amount", "1,500")
        page.click("form.visit-form button[type=submit]")
        page.locator("#field-doc_no .error").wait_for()  # the service: the number is taken, with its date
        assert (timezone.localdate() - dt.timedelta(days=40)).isoformat() in page.locator(
            "#field-doc_no .error").inner_text()
        page.fill("#id_doc_no", f"POS-2001-{suffix}")
        page.select_option("#id_outlet", label="中餐厅")
        page.click("form.visit-form button[type=submit]")
        page.wait_for_url(re.compile(rf"/customers/{w.c_am1.pk}/#visits$"))
        assert page.locator("#visits tr.visit-row").count() == 6
        assert Visit.objects.filter(doc_no=f"POS-2001-{suffix}", created_by=w.am1).exists()

        page.goto(f"{live_server.url}/visits/customer/{w.c_am1.pk}/add/?kind=stay")
        shot(page.locator("main"), f"visits-add-stay-form-{suffix}.png")
    finally:
        context.close()
