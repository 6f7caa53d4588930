"""Bulk assign from the customer list (R-6.2): the header checkbox ticks every file of the
page, and the bar assigns them all (a real browser: the ticking is the page's script)."""

import re

import pytest

from tests.conftest import PASSWORD, make_customer
from yingke.customers.models import Customer

pytestmark = pytest.mark.browser


def test_select_every_file_of_the_page_and_assign(page, live_server, world):
    pool = [make_customer(world.h1, f"P{i:02d}", f"池{i}") for i in range(6)]
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "sm")
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.goto(f"{live_server.url}/customers/?owner=none")
    boxes = page.locator('input[name=ids][form="bulk-assign"]')
    assert boxes.count() == 7  # the six and 李四, the pool file of the world
    page.locator("input[data-select-all]").check()
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    page.locator("input[data-select-all]").uncheck()
    assert not any(boxes.nth(i).is_checked() for i in range(boxes.count()))
    page.locator("input[data-select-all]").check()
    page.select_option("#bulk-assign select[name=owner]", str(world.am1.pk))
    page.fill("#bulk-assign input[name=reason]", "按片区分配")
    page.locator("#bulk-assign button[type=submit]").click()
    page.wait_for_url(re.compile(r"/customers/"))
    assert set(Customer.objects.filter(pk__in=[c.pk for c in pool]).values_list("owner_id", flat=True)) \
        == {world.am1.pk}
