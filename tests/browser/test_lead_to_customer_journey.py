"""A referral becomes a customer, in a real browser (issue 15 point 10; R-7.1, R-7.3): the account
manager opens a lead referred by one of their guests, logs four follow-ups (numbered 1–4), drags
its card on the board (and sees a 409 message when the lead was moved meanwhile), converts it to
a guest file; the general manager then finds it in the funnel and in the report by follow-up
ordinal (converted after the fourth follow-up). No console error, no CSP violation."""

import re

import pytest

from tests.conftest import PASSWORD
from yingke.tracking import services
from yingke.tracking.models import FollowUp, Lead, Stage

pytestmark = pytest.mark.browser


def watch(page, seen):
    # the stale drag answers 409 on purpose; any other console error counts
    page.on("console", lambda m: seen.append(m.text) if m.type == "error" and "status of 409" not in m.text
            else None)
    page.on("pageerror", lambda e: seen.append(str(e)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));")


def log_in(page, url, username):
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def cells(page, row_selector) -> list[str]:
    # text_content: the tables may sit in a closed <details>
    return [(t or "").strip() for t in page.locator(f"{row_selector} td").all_text_contents()]


def test_a_referral_is_followed_up_four_times_converted_and_counted(live_server, world, page, browser):
    problems: list[str] = []
    watch(page, problems)
    log_in(page, live_server.url, "am1")

    # 1. a lead referred by the account manager's guest 张三 (the link a file's page can offer)
    page.goto(f"{live_server.url}/tracking/leads/new/?referrer={world.c_am1.pk}")
    assert page.input_value("input[name=referrer]") == world.c_am1.customer_code
    assert page.input_value("select[name=source]") == "referral"
    page.fill("input[name=name]", "钱七")
    page.fill("input[name=mobile]", "13955556666")
    page.fill("input[name=employer]", "钱氏贸易")
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/tracking/leads/\d+/$"))
    lead = Lead.objects.get(name="钱七")
    assert (lead.source, lead.referrer, lead.owner) == ("referral", world.c_am1, world.am1)

    # 2. four follow-ups, each numbered
    for n, (channel, outcome) in enumerate([("phone", "no_answer"), ("wechat", "reached"),
                                            ("visit", "interested"), ("in_person", "booked")], start=1):
        form = page.locator("#log-follow-up form")
        form.locator("select[name=channel]").select_option(channel)
        form.locator("select[name=outcome]").select_option(outcome)
        form.locator("textarea[name=summary]").fill(f"第{n}次跟进")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator("#follow-ups tbody tr").count() == n
        assert page.locator("#follow-ups tbody tr").first.locator("td").first.inner_text().strip() == str(n)
    assert sorted(FollowUp.objects.filter(lead=lead).values_list("ordinal", flat=True)) == [1, 2, 3, 4]
    lead.refresh_from_db()
    assert lead.stage == Stage.CONTACTED  # talking to the target made it contacted

    # 3. the board: drag the card to "key prospect"; a stale drag is refused with a message
    page.goto(f"{live_server.url}/tracking/board/")
    card = f"#lead-{lead.pk}"
    page.drag_and_drop(card, f".board-col[data-stage='{int(Stage.KEY)}'] .board-cards")
    page.wait_for_selector(f".board-col[data-stage='{int(Stage.KEY)}'] {card}")
    lead.refresh_from_db()
    assert lead.stage == Stage.KEY
    services.move_stage(world.am1, lead, Stage.PLAN)  # someone else moves it meanwhile
    page.drag_and_drop(card, f".board-col[data-stage='{int(Stage.FINE)}'] .board-cards")
    page.wait_for_selector("#board-status:not([hidden])")
    assert "“" in page.inner_text("#board-status")  # "Someone moved this lead meanwhile; it is now at “…”."
    lead.refresh_from_db()
    assert lead.stage == Stage.PLAN

    # 4. convert: no file matches, a new guest file is opened and shown
    page.goto(f"{live_server.url}/tracking/leads/{lead.pk}/convert/")
    page.locator("form:has(input[name=action][value=create]) button").click()
    page.wait_for_url(re.compile(r"/customers/\d+/$"))
    lead.refresh_from_db()
    assert lead.stage == Stage.CUSTOMER and lead.customer is not None
    assert lead.customer.name == "钱七" and lead.customer.owner == world.am1
    assert FollowUp.objects.filter(customer=lead.customer).count() == 4

    # 5. the general manager's reports count it
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    gm = context.new_page()
    watch(gm, problems)
    try:
        log_in(gm, live_server.url, "gm")
        gm.goto(f"{live_server.url}/tracking/reports/funnel/")
        total = cells(gm, "#r-source tr.total")
        assert total[1] == "1" and total[7] == "1", total  # one lead, one customer
        owner_rows = gm.locator("#r-owner tbody tr").all_text_contents()
        assert any("am1" in r for r in owner_rows), owner_rows

        gm.goto(f"{live_server.url}/tracking/reports/ordinals/")
        rows = gm.locator("#r-conversions tbody tr")
        assert rows.count() == 6  # 0, 1, 2, 3, 4, 5+ follow-ups before the conversion
        by_bucket = [cells(gm, f"#r-conversions tbody tr:nth-child({i + 1})")[1] for i in range(6)]
        assert by_bucket == ["0", "0", "0", "0", "1", "0"], by_bucket  # converted after the fourth
    finally:
        context.close()
    assert problems == []
