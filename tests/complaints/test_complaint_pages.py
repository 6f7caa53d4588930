"""Staff pages of complaints (issue 16): list, recording, the detail page and its steps."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from yingke.complaints import services
from yingke.complaints.models import Complaint, ComplaintPolicy, Step
from yingke.core.models import Outlet

pytestmark = pytest.mark.django_db

ROLES = ("gm", "desk", "sup", "am1", "am2", "admin", "gm2")


def login(client, user):
    client.force_login(user)
    return client


def detail(c):
    return reverse("complaints:detail", args=[c.pk])


def step_post(client, c, step, **data):
    return client.post(reverse("complaints:step", args=[c.pk]), {"step": step, **data})


# ---- the list -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_list_for_every_role(client, world, complaint, role):
    anon = services.record(world.desk, world.h1, kind="facilities", words="空调不制冷", contact_name="王先生")
    r = login(client, getattr(world, role)).get(reverse("complaints:list"))
    assert r.status_code == 200
    body = r.content.decode()
    sees_guest = role in ("gm", "desk", "sup", "am1")
    sees_anon = role in ("gm", "desk", "sup")
    assert (complaint.reference in body) == sees_guest
    assert ("张三" in body) == sees_guest
    assert (anon.reference in body) == sees_anon
    if role == "admin":
        assert "complaints/new/" not in body


def test_nav_link_for_every_role_but_admin(client, world):
    for role in ROLES:
        body = login(client, getattr(world, role)).get(reverse("home"), follow=True).content.decode()
        assert ('href="/complaints/"' in body) == (role != "admin"), role


def test_list_filters_and_search(client, world, complaint):
    outlet = Outlet.objects.get(property=world.h1, code="CN")
    other = services.record(world.desk, world.h1, kind="attitude", severity="high", words="服务员态度差",
                            outlet=outlet, channel="phone")
    login(client, world.gm)
    url = reverse("complaints:list")

    def refs(**params):
        body = client.get(url, params).content.decode()
        return {c.reference for c in (complaint, other) if c.reference in body}

    assert refs() == {complaint.reference, other.reference}
    assert refs(kind="attitude") == {other.reference}
    assert refs(severity="medium") == {complaint.reference}
    assert refs(channel="phone") == {other.reference}
    assert refs(outlet=outlet.pk) == {other.reference}
    assert refs(q="头发") == {complaint.reference}
    assert refs(q=other.reference) == {other.reference}
    assert refs(q=str(other.pk)) == {other.reference}
    assert refs(state="archived") == set()
    today = timezone.localdate()
    assert refs(date_from=today.isoformat(), date_to=today.isoformat()) == {complaint.reference, other.reference}
    assert refs(date_to=(today - dt.timedelta(days=1)).isoformat()) == set()


def test_list_overdue_filter_and_badge(client, world, complaint):
    Complaint.objects.filter(pk=complaint.pk).update(step_at=timezone.now() - dt.timedelta(hours=5))
    fresh = services.record(world.desk, world.h1, kind="other", words="新投诉")
    login(client, world.desk)
    body = client.get(reverse("complaints:list"), {"overdue": "on"}).content.decode()
    assert complaint.reference in body and fresh.reference not in body
    assert "badge-overdue" in body


@pytest.mark.parametrize("params", [
    {"state": "nonsense"}, {"kind": "x"}, {"date_from": "2024-13-45"}, {"date_from": "0001-01-01"},
    {"date_from": "2024-05-02", "date_to": "2024-05-01"}, {"outlet": "999999999999999999999"},
    {"q": "a\x00b"}, {"after": "garbage"}, {"before": "%%%"}, {"q": "x" * 500},
])
def test_list_bad_input_is_a_message_not_an_error(client, world, complaint, params):
    r = login(client, world.gm).get(reverse("complaints:list"), params)
    assert r.status_code == 200


def test_list_keyset_pages(client, world, settings):
    for i in range(30):
        services.record(world.desk, world.h1, kind="food", words=f"第{i}条")
    login(client, world.gm)
    r = client.get(reverse("complaints:list"))
    first = r.content.decode()
    assert "第29条" not in first  # words are not on the list; the references are
    page = r.context["page"]
    assert len(page.rows) == 25 and page.has_next
    r2 = client.get(reverse("complaints:list"), {"after": page.next_cursor})
    assert len(r2.context["page"].rows) == 5
    assert not {c.pk for c in page.rows} & {c.pk for c in r2.context["page"].rows}


def test_list_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    outlet = Outlet.objects.get(property=world.h1, code="CN")
    ComplaintPolicy.objects.create(property=world.h1, clock=ComplaintPolicy.Clock.BUSINESS)
    for i in range(25):
        services.record(world.desk, world.h1, kind="food", words=f"第{i}条", customer=world.c_am1 if i % 2 else None,
                        outlet=outlet)
    login(client, world.gm)
    client.get(reverse("complaints:list"))  # session warm-up
    with django_assert_max_num_queries(10):
        r = client.get(reverse("complaints:list"), {"overdue": "on", "state": "all"})
    assert r.status_code == 200
    with django_assert_max_num_queries(10):
        r = client.get(reverse("complaints:list"))
    assert len(r.context["page"].rows) == 25


def test_export_csv_and_xlsx(client, world, complaint):
    login(client, world.gm)
    r = client.get(reverse("complaints:export", args=["csv"]))
    assert r.status_code == 200
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    assert complaint.reference in text and "张三" in text
    r = client.get(reverse("complaints:export", args=["xlsx"]))
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert login(client, world.desk).get(reverse("complaints:export", args=["csv"])).status_code == 403
    assert login(client, world.gm).get(reverse("complaints:export", args=["pdf"])).status_code == 404


def test_export_of_am2_leaves_out_what_am2_does_not_see(client, world, complaint):
    r = login(client, world.am2).get(reverse("complaints:export", args=["csv"]))
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    assert complaint.reference not in text and "张三" not in text


# ---- recording ----------------------------------------------------------------------------------

def test_record_with_customer_code(client, world):
    login(client, world.desk)
    assert client.get(reverse("complaints:new")).status_code == 200
    r = client.post(reverse("complaints:new"), {
        "property": "H1", "customer_code": "c001", "kind": "food", "severity": "high", "channel": "in_person",
        "location": "A3", "words": "汤是凉的\n要求重做", "occurred_at": "2024-05-01T19:30"})
    c = Complaint.objects.get()
    assert r.status_code == 302 and r["Location"] == detail(c)
    assert c.customer == world.c_am1 and c.severity == "high" and c.created_by == world.desk
    assert c.occurred_at.year == 2024


def test_record_anonymous_and_from_the_360_page(client, world):
    login(client, world.am1)
    r = client.get(reverse("complaints:new"), {"customer": world.c_am1.pk})
    assert r.status_code == 200 and "张三" in r.content.decode()
    r = client.post(reverse("complaints:new") + f"?customer={world.c_am1.pk}",
                    {"property": "H1", "customer": world.c_am1.pk, "kind": "price", "severity": "low",
                     "channel": "phone", "words": "账单多收了"})
    assert r.status_code == 302
    assert Complaint.objects.get().customer == world.c_am1
    # a guest the user does not see: 404, from the link or the code
    assert client.get(reverse("complaints:new"), {"customer": world.c_am2.pk}).status_code == 404
    assert client.get(reverse("complaints:new"), {"customer": "abc"}).status_code == 404
    r = client.post(reverse("complaints:new"), {"property": "H1", "customer_code": "C002", "kind": "food",
                                                "severity": "low", "channel": "phone", "words": "x"})
    assert r.status_code == 422 and "customer_code" in r.context["form"].errors
    login(client, world.desk)
    r = client.post(reverse("complaints:new"), {"property": "H1", "contact_name": "王先生", "contact_phone": "13800000000",
                                                "kind": "other", "severity": "medium", "channel": "in_person",
                                                "words": "大堂太吵"})
    assert r.status_code == 302
    assert Complaint.objects.filter(customer=None, contact_name="王先生").exists()


@pytest.mark.parametrize("data", [
    {"words": ""}, {"words": "\u200b\u200b"}, {"words": "a\x00b"}, {"words": "\x1b[31m"}, {"kind": "nope"},
    {"outlet": "999999"}, {"occurred_at": "0001-01-01T00:00"}, {"occurred_at": "2999-01-01T00:00"},
    {"occurred_at": "tomorrow"}, {"contact_name": "x" * 100}, {"location": "\u202e\u0007"},
])
def test_record_bad_input_shows_field_errors(client, world, data):
    login(client, world.desk)
    post = {"property": "H1", "kind": "food", "severity": "medium", "channel": "in_person", "words": "菜凉了", **data}
    r = client.post(reverse("complaints:new"), post)
    assert r.status_code == 422
    assert r.context["form"].errors
    assert not Complaint.objects.exists()


def test_record_invalid_utf8_is_a_clear_message(client, world):
    login(client, world.desk)
    body = "property=H1&kind=food&severity=medium&channel=in_person&words=%ED%A0%80%FF%FE"
    r = client.post(reverse("complaints:new"), body, content_type="application/x-www-form-urlencoded")
    assert r.status_code in (302, 422)
    if r.status_code == 302:  # the bytes became U+FFFD, kept as the guest's words
        assert Complaint.objects.get().words


def test_record_outlet_of_another_property_is_refused(client, world):
    other = Outlet.objects.get(property=world.h2)
    r = login(client, world.desk).post(reverse("complaints:new"), {
        "property": "H1", "kind": "food", "severity": "medium", "channel": "in_person", "words": "x",
        "outlet": other.pk})
    assert r.status_code == 422 and not Complaint.objects.exists()


def test_new_page_roles(client, world):
    for role, status in (("gm", 200), ("desk", 200), ("sup", 200), ("am1", 200), ("am2", 200), ("gm2", 200),
                         ("admin", 403)):
        assert login(client, getattr(world, role)).get(reverse("complaints:new")).status_code == status, role
    assert login(client, world.desk).get(reverse("complaints:new"), {"property": "H2"}).status_code == 404
    assert login(client, world.desk).get(reverse("complaints:new"), {"property": "NOPE"}).status_code == 404


# ---- the detail page ----------------------------------------------------------------------------

@pytest.mark.parametrize("role,status", [("gm", 200), ("desk", 200), ("sup", 200), ("am1", 200), ("am2", 404),
                                         ("admin", 404), ("gm2", 404)])
def test_detail_for_every_role(client, world, complaint, role, status):
    r = login(client, getattr(world, role)).get(detail(complaint))
    assert r.status_code == status
    if status == 200:
        assert complaint.reference in r.content.decode()


def test_detail_of_an_unknown_id_is_404(client, world):
    login(client, world.gm)
    assert client.get("/complaints/999999/").status_code == 404
    assert client.get("/complaints/99999999999999999999999/").status_code == 404


def test_the_six_steps_through_the_page(client, world, complaint):
    login(client, world.desk)
    body = client.get(detail(complaint)).content.decode()
    assert 'name="apology"' in body and 'name="findings"' not in body
    assert step_post(client, complaint, Step.APOLOGISED, apology="当面致歉").status_code == 302
    body = client.get(detail(complaint)).content.decode()
    assert 'name="findings"' in body and "当面致歉" in body
    r = step_post(client, complaint, Step.VERIFIED, findings="")
    assert r.status_code == 422 and "findings" in r.context["timeline"][2]["form"].errors
    assert step_post(client, complaint, Step.VERIFIED, findings="属实").status_code == 302
    assert step_post(client, complaint, Step.AGREED, solution="重做", compensation="voucher",
                     compensation_amount="50").status_code == 302
    assert step_post(client, complaint, Step.CARRIED_OUT, carried_out="已送券").status_code == 302
    r = step_post(client, complaint, Step.ARCHIVED, check_back="", satisfaction="satisfied")
    assert r.status_code == 422 and "回访" in r.content.decode()
    assert step_post(client, complaint, Step.ARCHIVED, check_back="满意", satisfaction="satisfied").status_code == 302
    c = Complaint.objects.get(pk=complaint.pk)
    assert c.step == Step.ARCHIVED and c.closed_at
    body = client.get(detail(c)).content.decode()
    assert "满意" in body and "cp-step-form" not in body and "history" in body


def test_a_stale_second_submit_shows_the_conflict(client, world, complaint):
    login(client, world.desk)
    step_post(client, complaint, Step.APOLOGISED, apology="致歉")
    r = step_post(client, complaint, Step.APOLOGISED, apology="致歉")
    assert r.status_code == 302
    r = client.get(r["Location"])
    assert "msg-error" in r.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).step == Step.APOLOGISED
    for bad in ("", "abc", "9", "1", "99999999999999999999999"):
        assert step_post(client, complaint, bad).status_code == 302


def test_step_posts_of_a_complaint_not_visible_are_404(client, world, complaint):
    login(client, world.am2)
    assert step_post(client, complaint, Step.APOLOGISED).status_code == 404
    assert client.post(reverse("complaints:on_the_spot", args=[complaint.pk])).status_code == 404
    assert client.post(reverse("complaints:decide", args=[complaint.pk])).status_code == 404
    assert Complaint.objects.get(pk=complaint.pk).step == Step.RECORDED
    assert client.get(reverse("complaints:step", args=[complaint.pk])).status_code == 405


def test_approval_above_the_threshold(client, world, complaint):
    login(client, world.desk)
    for step, data in ((Step.APOLOGISED, {}), (Step.VERIFIED, {"findings": "属实"})):
        step_post(client, complaint, step, **data)
    step_post(client, complaint, Step.AGREED, solution="免单", compensation="amount", compensation_amount="800")
    c = Complaint.objects.get(pk=complaint.pk)
    assert c.approval_pending and c.step == Step.VERIFIED
    body = client.get(detail(c)).content.decode()
    assert "cp-decide" not in body and "cp-step-form" not in body
    assert client.post(reverse("complaints:decide", args=[c.pk]), {"decision": "approve"}).status_code == 403
    login(client, world.gm)
    body = client.get(detail(c)).content.decode()
    assert "cp-decide" in body
    r = client.post(reverse("complaints:decide", args=[c.pk]), {"decision": "refuse", "reason": ""})
    assert r.status_code == 422
    r = client.post(reverse("complaints:decide", args=[c.pk]), {"decision": "refuse", "reason": "金额过高"})
    assert r.status_code == 302
    c.refresh_from_db()
    assert not c.approval_pending and c.compensation == "none"
    login(client, world.desk)
    step_post(client, c, Step.AGREED, solution="免单", compensation="amount", compensation_amount="800")
    login(client, world.gm)
    assert client.post(reverse("complaints:decide", args=[c.pk]), {"decision": "approve"}).status_code == 302
    c.refresh_from_db()
    assert c.step == Step.AGREED and c.approver == world.gm
    r = client.post(reverse("complaints:decide", args=[c.pk]), {"decision": "approve"})
    assert r.status_code == 302  # nothing pending any more: the Conflict's message


def test_resolved_on_the_spot(client, world, complaint):
    login(client, world.desk)
    body = client.get(detail(complaint)).content.decode()
    assert "on-the-spot" in body
    url = reverse("complaints:on_the_spot", args=[complaint.pk])
    r = client.post(url, {"solution": "换菜", "carried_out": "已换", "check_back": "", "satisfaction": "satisfied"})
    assert r.status_code == 422
    r = client.post(url, {"solution": "换菜", "carried_out": "已换", "check_back": "客人满意", "satisfaction": "satisfied"})
    assert r.status_code == 302
    c = Complaint.objects.get(pk=complaint.pk)
    assert c.on_the_spot and c.step == Step.ARCHIVED
    assert client.post(url, {"solution": "换菜", "carried_out": "已换", "check_back": "客人满意",
                             "satisfaction": "satisfied"}).status_code == 302
    assert "on-the-spot" not in client.get(detail(c)).content.decode()


def test_detail_shows_escalations_and_history(client, world, complaint):
    from yingke.complaints.escalation import escalate_overdue

    escalate_overdue(timezone.now() + dt.timedelta(days=3))
    login(client, world.gm)
    step_post(client, complaint, Step.APOLOGISED, apology="致歉")
    r = client.get(detail(complaint))
    body = r.content.decode()
    assert r.context["escalations"]
    assert r.context["changes"]
    assert "致歉" in body


def test_an_account_manager_recording_an_anonymous_complaint_is_told_who_takes_it(client, world):
    client.force_login(world.am1)
    r = client.post(reverse("complaints:new"), {"property": "H1", "kind": "facilities", "severity": "medium",
                                                "channel": "phone", "words": "电梯坏了", "contact_name": "路人"},
                    follow=True)
    assert r.status_code == 200 and r.redirect_chain[-1][0] == reverse("complaints:list")
    assert "由大堂副理接手处理" in r.content.decode()  # the lobby manager takes it from here
    assert Complaint.objects.get().customer is None
