"""A complaint from the guest's phone to the archive, in a real browser at a phone-sized
viewport (issue 16 point 8; R-8.2, R-8.4): the guest opens the QR page of an outlet's table,
writes a complaint and gives their mobile with consent → it joins their file and enters step 1;
the lobby manager, on a phone too, finds it in the complaints list and takes it through the six
steps (archiving first refused without the check-back result); no console error, no CSP
violation on either side."""

import re

import pytest

from tests.conftest import PASSWORD
from yingke.complaints.feedback import make_token
from yingke.complaints.models import Complaint, ComplaintStep, Step
from yingke.core.models import Outlet

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def watch(page, seen):
    # the refused archive answers 422 on purpose; any other console error counts
    page.on("console", lambda m: seen.append(m.text) if m.type == "error" and "status of 422" not in m.text
            else None)
    page.on("pageerror", lambda e: seen.append(str(e)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));")


@pytest.fixture
def phone(browser):
    contexts = []

    def open_page(locale="zh-CN"):
        context = browser.new_context(locale=locale, viewport=PHONE, is_mobile=True, has_touch=True)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for c in contexts:
        c.close()


def test_a_guest_complains_by_qr_and_the_lobby_manager_takes_it_through_six_steps(live_server, world, phone):
    problems: list[str] = []
    outlet = Outlet.objects.get(property=world.h1, code="CN")
    token = make_token(world.h1, outlet, "A12")

    guest = phone()
    watch(guest, problems)
    guest.goto(f"{live_server.url}/f/{token}/")
    assert guest.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    guest.locator("label.pub-kind-complaint").click()
    guest.select_option("select[name=complaint_type]", "food")
    guest.fill("textarea[name=text]", "鱼不新鲜，<b>服务员</b>也不理我。")
    guest.fill("input[name=mobile]", world.c_am1.mobile)
    guest.locator("label.pub-check").click()
    guest.locator("button.pub-submit").click()
    guest.wait_for_url(re.compile(r"/thanks/"))

    c = Complaint.objects.get()
    assert c.customer == world.c_am1 and c.outlet == outlet and c.location == "A12"
    assert c.channel == "public_page" and c.step == Step.RECORDED and "<b>" not in c.words

    desk = phone()
    watch(desk, problems)
    desk.goto(f"{live_server.url}/login/")
    desk.fill("#id_username", "desk")
    desk.fill("#id_password", PASSWORD)
    desk.click("form.form button[type=submit]")
    desk.wait_for_url(re.compile(r"/$"))
    desk.goto(f"{live_server.url}/complaints/")
    desk.locator(f"a[href='/complaints/{c.pk}/']").first.click()
    desk.wait_for_url(re.compile(rf"/complaints/{c.pk}/$"))
    assert "鱼不新鲜" in desk.content()

    form = desk.locator("form.cp-step-form")
    steps = [
        {"textarea[name=apology]": "当面向客人致歉"},
        {"textarea[name=findings]": "厨房确认当日鱼品不合格"},
        {"textarea[name=solution]": "重做一份并赠送果盘"},
        {"textarea[name=carried_out]": "已重做并送上果盘"},
    ]
    for number, fields in enumerate(steps, start=2):
        for selector, value in fields.items():
            form.locator(selector).fill(value)
        form.locator("button[type=submit]").click()
        desk.wait_for_load_state()
        assert Complaint.objects.get(pk=c.pk).step == number, number

    # step 6: archiving without the check-back result is refused, with the reason on the page
    form.locator("button[type=submit]").click()
    desk.wait_for_load_state()
    assert "没有宾客回访结果" in desk.content()
    assert Complaint.objects.get(pk=c.pk).step == Step.CARRIED_OUT
    form = desk.locator("form.cp-step-form")
    form.locator("textarea[name=check_back]").fill("次日电话回访，客人表示满意")
    form.locator("select[name=satisfaction]").select_option("satisfied")
    form.locator("button[type=submit]").click()
    desk.wait_for_load_state()

    c.refresh_from_db()
    assert c.step == Step.ARCHIVED and c.closed_at is not None and c.satisfaction == "satisfied"
    assert list(ComplaintStep.objects.filter(complaint=c).values_list("step", flat=True)) == [1, 2, 3, 4, 5, 6]
    assert set(ComplaintStep.objects.filter(complaint=c, step__gt=1).values_list("done_by__username", flat=True)) \
        == {"desk"}
    assert desk.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    assert problems == []
