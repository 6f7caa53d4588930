"""R-2.6, R-8.3, R-6.4 on other pages: the 360 page's "Complaints and praise" card, the red
"open complaint" flag in the customer list and search results (one query per page), the home
page panel of escalated complaints for the lobby manager and the general manager, and the
"open complaints" section of the account manager's daily control table."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_customer
from yingke.complaints import escalation, services
from yingke.complaints.models import Step
from yingke.control import table as control
from yingke.customers.models import Customer
from yingke.customers.services import add_note

DETAIL = "customers:detail"


def page(client, user, url, lang="en"):
    client.force_login(user)
    client.cookies["django_language"] = lang
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def card(body):
    return re.search(r'<section class="card" id="complaints">.*?</section>', body, re.S).group(0)


def archive(world, c, when=None):
    return services.resolve_on_the_spot(world.desk, c, apology="致歉", solution="重做", carried_out="已重做",
                                        check_back="满意", satisfaction="satisfied", now=when)


# ---- the 360 page ---------------------------------------------------------------------------

def test_the_card_lists_the_guests_complaints_with_their_state(client, world, complaint):
    done = services.record(world.desk, world.h1, kind="attitude", words="服务员态度差", customer=world.c_am1)
    archive(world, done)
    services.record(world.desk, world.h1, kind="price", words="别人的投诉", customer=world.c_pool)
    body = card(page(client, world.am1, reverse(DETAIL, args=[world.c_am1.pk])))
    assert complaint.reference in body and done.reference in body
    assert f'href="/complaints/{complaint.pk}/"' in body and f'href="/complaints/{done.pk}/"' in body
    assert body.count("data-complaint=") == 2  # not 李四's
    assert "Food" in body and "Service attitude" in body
    assert "archived" in body and "resolved on the spot" in body and "next: Apologised" in body
    assert "1 open complaint" in body
    assert f'href="/complaints/new/?customer={world.c_am1.pk}"' in body


def test_an_overdue_complaint_says_so(client, world):
    c = services.record(world.desk, world.h1, kind="food", words="慢", customer=world.c_am1,
                        now=timezone.now() - dt.timedelta(hours=3))
    body = card(page(client, world.am1, reverse(DETAIL, args=[world.c_am1.pk])))
    assert c.reference in body and "overdue" in body


def test_the_card_in_chinese_and_empty(client, world):
    body = card(page(client, world.am1, reverse(DETAIL, args=[world.c_am1.pk]), lang="zh-hans"))
    assert "投诉" in body and "Complaints and praise" not in body
    body = card(page(client, world.am1, reverse(DETAIL, args=[world.c_am1.pk])))
    assert "No complaints recorded for this guest." in body


def test_praise_and_suggestions_come_from_the_notes_without_repeating_them(client, world):
    for kind, text in [("praise", "早餐很棒"), ("praise", "前台热情"), ("suggestion", "多些素菜"), ("note", "普通记录")]:
        add_note(world.am1, world.c_am1, text, kind=kind)
    body = page(client, world.am1, reverse(DETAIL, args=[world.c_am1.pk]))
    c = card(body)
    assert "2 praise" in c and "1 suggestion" in c and 'href="#notes"' in c
    assert "早餐很棒" not in c and body.count("早餐很棒") == 1  # shown once, in the notes card


def test_who_may_record_a_complaint_from_the_file(client, world):
    assert "/complaints/new/" in card(page(client, world.desk, reverse(DETAIL, args=[world.c_am1.pk])))
    assert "/complaints/new/" in card(page(client, world.sm, reverse(DETAIL, args=[world.c_am1.pk])))


def test_the_card_costs_a_query_and_one_more_while_a_complaint_is_open(client, world, complaint):
    """Its complaints query, and the property's time limits while one is open; the praise and
    suggestions are counted from the notes the page reads anyway."""
    client.force_login(world.am1)
    url = reverse(DETAIL, args=[world.c_am1.pk])
    with CaptureQueriesContext(connection) as seen:
        client.get(url)
    mine = [q["sql"] for q in seen.captured_queries if "complaints_" in q["sql"]]
    assert len(mine) == 2, mine  # the complaints, the policy
    archive(world, complaint)
    with CaptureQueriesContext(connection) as seen:
        client.get(url)
    assert len([q for q in seen.captured_queries if "complaints_" in q["sql"]]) == 1
    assert len([q for q in seen.captured_queries if "customers_note" in q["sql"]]) == 1  # the notes card's own


# ---- the flag in lists and search ------------------------------------------------------------

def flagged(body):
    """Customer ids whose row carries the open-complaint flag."""
    out = set()
    for row in re.findall(r"<tr>.*?</tr>|<li>.*?</li>", body, re.S):
        if "file-flag" in row:
            out.update(int(pk) for pk in re.findall(r"/customers/(\d+)/", row))
    return out


def test_an_open_complaint_flags_the_file_in_the_list(client, world, complaint):
    closed = services.record(world.desk, world.h1, kind="food", words="旧事", customer=world.c_am2)
    archive(world, closed)
    body = page(client, world.gm, reverse("customers:list"))
    assert flagged(body) == {world.c_am1.pk}
    assert "Open complaint" in body and "badge-hot file-flag" in body
    assert "有投诉" in page(client, world.gm, reverse("customers:list"), lang="zh-hans")


def test_the_flag_costs_one_query_per_page(client, world, django_assert_max_num_queries):
    for i in range(12):
        make_customer(world.h1, f"F{i:02d}", f"客{i}", owner=world.am1)
    client.force_login(world.am1)
    url = reverse("customers:list")
    client.get(url)
    with CaptureQueriesContext(connection) as none_flagged:
        client.get(url)
    for c in Customer.objects.filter(customer_code__startswith="F"):
        services.record(world.desk, world.h1, kind="food", words="x", customer=c)
    with django_assert_max_num_queries(len(none_flagged.captured_queries)):
        body = client.get(url).content.decode()
    assert len(flagged(body)) == 12
    assert len([q for q in none_flagged.captured_queries if "complaints_complaint" in q["sql"]]) == 1


def test_the_flag_in_search_results_and_suggestions(client, world, complaint):
    body = page(client, world.desk, reverse("search") + "?q=张三")
    assert flagged(body) == {world.c_am1.pk}
    body = page(client, world.desk, reverse("search_suggest") + "?q=张三")
    assert flagged(body) == {world.c_am1.pk}
    body = page(client, world.desk, reverse("search") + "?q=李四")
    assert flagged(body) == set() and "file-flag" not in body


# ---- the home page panel ---------------------------------------------------------------------

def panel(body):
    found = re.search(r'<section class="card" id="escalations">.*?</section>', body, re.S)
    return found.group(0) if found else None


def test_the_lobby_manager_and_the_gm_see_what_was_escalated_to_them(client, world):
    old = timezone.now() - dt.timedelta(hours=5)
    named = services.record(world.desk, world.h1, kind="food", words="冷", customer=world.c_am1, now=old)
    anonymous = services.record(world.desk, world.h1, kind="price", words="贵", contact_name="王先生", now=old)
    escalation.escalate_overdue()
    desk = panel(page(client, world.desk, reverse("home")))
    assert named.reference in desk and anonymous.reference in desk
    assert f'href="/complaints/{named.pk}/"' in desk and "张三" in desk
    assert "Anonymous" in desk and "王先生" in desk and "Apologised" in desk and "Lobby manager" in desk
    gm = panel(page(client, world.gm, reverse("home")))
    assert named.reference in gm and "General manager" in gm
    assert "投诉" in panel(page(client, world.desk, reverse("home"), lang="zh-hans"))
    archive(world, named)
    desk = panel(page(client, world.desk, reverse("home")))
    assert named.reference not in desk and anonymous.reference in desk


def test_the_panel_is_empty_and_honest_then_absent_for_other_roles(client, world, complaint):
    body = panel(page(client, world.desk, reverse("home")))
    assert "No escalated complaints" in body
    assert panel(page(client, world.sm, reverse("home"))) is None
    assert panel(page(client, world.sup, reverse("home"))) is None


# ---- the control table -----------------------------------------------------------------------

def part(actor, member):
    return next(p for p in control.control_table(actor, member, world_h1(member))["sections"] if p.key == "complaints")


def world_h1(member):
    return member.properties.get(code="H1")


def test_the_control_table_lists_the_account_managers_guests_overdue_first(world):
    now = timezone.now()
    second = make_customer(world.h1, "K002", "王五", owner=world.am1)
    fresh = services.record(world.desk, world.h1, kind="food", words="a", customer=world.c_am1, now=now)
    late = services.record(world.desk, world.h1, kind="price", words="b", customer=second,
                           now=now - dt.timedelta(hours=3))
    services.record(world.desk, world.h1, kind="food", words="c", customer=world.c_am2)  # am2's guest
    done = services.record(world.desk, world.h1, kind="food", words="d", customer=world.c_am1)
    archive(world, done)
    p = part(world.am1, world.am1)
    assert p.tracked and p.count == 2
    assert [r.id for r in p.rows] == [second.pk, world.c_am1.pk]  # overdue first
    assert late.reference in p.rows[0].reason and "超时" in p.rows[0].reason  # zh-hans is pinned here
    assert fresh.reference in p.rows[1].reason and done.reference not in p.rows[1].reason
    team = control.team_table(world.sm, world.h1)
    counts = {line["member"].username: line["counts"]["complaints"] for line in team["members"]}
    assert counts == {"am1": 2, "am2": 1, "sm": 0}


def test_two_complaints_of_one_guest_are_one_row(world, complaint):
    services.record(world.desk, world.h1, kind="price", words="又一次", customer=world.c_am1)
    p = part(world.am1, world.am1)
    assert p.count == 1 and len(p.rows) == 1 and p.rows[0].reason.count("TS") == 2
    assert p.rows[0].mobile == "13812345678"


def test_an_approval_waiting_is_said(world, complaint):
    c = services.advance(world.desk, complaint, Step.APOLOGISED)
    c = services.advance(world.desk, c, Step.VERIFIED, findings="属实")
    c = services.advance(world.desk, c, Step.AGREED, solution="免单", compensation="amount",
                         compensation_amount="900")
    assert c.approval_pending
    assert "审批" in part(world.am1, world.am1).rows[0].reason


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_control_page_shows_the_section(client, world, complaint, lang):
    body = page(client, world.am1, reverse("control:today"), lang=lang)
    section = re.search(r'id="section-complaints".*?</section>', body, re.S).group(0)
    assert complaint.reference in section and reverse(DETAIL, args=[world.c_am1.pk]) in section
