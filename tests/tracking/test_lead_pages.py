"""The lead pages (issue 15, point 1): list, board, new/edit, the lead's page, follow-ups, drop and
reopen, the board's stage move (409 when someone moved the lead), conversion with the duplicate
warning, the export. Every page is 404 for a lead outside the user's row rule."""

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import make_customer
from yingke.core.models import AuditEvent
from yingke.tracking import services
from yingke.tracking.models import FollowUp, Lead, Source, Stage

pytestmark = pytest.mark.django_db


def make_lead(world, actor=None, **data):
    data = {"name": "王五", "source": Source.MARKETING, "mobile": "13800001111", "employer": "华为", **data}
    return services.create_lead(actor or world.am1, world.h1, **data)


def login(client, user):
    client.force_login(user)
    return client


def body(r) -> str:
    return r.content.decode()


# ---- every page, row rule ----------------------------------------------------------------------

PAGES = ["tracking:lead", "tracking:lead_edit", "tracking:lead_convert"]


@pytest.mark.parametrize("name", PAGES)
def test_lead_pages_render_for_the_owner_and_are_404_outside_the_row_rule(client, world, name):
    lead = make_lead(world)
    url = reverse(name, args=[lead.pk])
    assert login(client, world.am1).get(url).status_code == 200
    for user in (world.gm, world.sm):  # the GM sees the property, the sales manager their team
        assert login(client, user).get(url).status_code == 200, user
    for user in (world.am2, world.am3, world.gm2, world.am_h2, world.admin):
        assert login(client, user).get(url).status_code == 404, (name, user)


@pytest.mark.parametrize("name", ["tracking:lead_stage", "tracking:lead_follow_up", "tracking:lead_drop",
                                  "tracking:lead_reopen", "tracking:lead_convert"])
def test_posts_on_a_hidden_lead_are_404_and_change_nothing(client, world, name):
    lead = make_lead(world)
    r = login(client, world.am2).post(reverse(name, args=[lead.pk]), {
        "stage": 3, "channel": "phone", "outcome": "reached", "summary": "x", "reason": "x", "action": "create"})
    assert r.status_code == 404
    lead.refresh_from_db()
    assert (lead.stage, lead.dropped_at, lead.customer_id) == (Stage.TARGET, None, None)
    assert not FollowUp.objects.exists()


def test_odd_ids_are_404(client, world):
    login(client, world.gm)
    for pk in (0, 2**63, 10**30):
        assert client.get(f"/tracking/leads/{pk}/").status_code == 404


def test_front_desk_reads_a_lead_but_may_not_edit_it(client, world):
    lead = make_lead(world)
    login(client, world.desk)
    r = client.get(reverse("tracking:lead", args=[lead.pk]))
    assert r.status_code == 200
    assert reverse("tracking:lead_edit", args=[lead.pk]) not in body(r)
    assert client.get(reverse("tracking:lead_edit", args=[lead.pk])).status_code == 403
    assert client.get(reverse("tracking:lead_new")).status_code == 403
    r = client.post(reverse("tracking:lead_stage", args=[lead.pk]), {"stage": 3, "expect": 1})
    assert r.status_code == 403
    lead.refresh_from_db()
    assert lead.stage == Stage.TARGET


# ---- the list ------------------------------------------------------------------------------------

def test_list_shows_visible_leads_with_masked_mobile_and_count(client, world):
    mine = make_lead(world, name="甲客户")
    make_lead(world, actor=world.am2, name="乙客户")
    services.log_follow_up(world.am1, mine, channel="phone", outcome="reached", summary="聊了")
    r = login(client, world.am1).get(reverse("tracking:leads"))
    assert r.status_code == 200
    text = body(r)
    assert "甲客户" in text and "乙客户" not in text
    assert "13800001111" in text  # an account manager sees full mobiles, the front desk masked ones
    assert 'href="/tracking/leads/new/"' in text
    assert "<td class=\"num\">1</td>" in text
    text = body(login(client, world.gm).get(reverse("tracking:leads")))
    assert "甲客户" in text and "乙客户" in text
    text = body(login(client, world.desk).get(reverse("tracking:leads")))
    assert "甲客户" in text and "13800001111" not in text and "1111" in text


def test_list_filters_state_and_search(client, world):
    a = make_lead(world, name="甲客户", employer="腾讯")
    b = make_lead(world, name="乙客户", source=Source.EVENTS)
    services.drop_lead(world.am1, b, "没兴趣")
    login(client, world.am1)
    url = reverse("tracking:leads")
    assert "乙客户" not in body(client.get(url))  # default: open leads
    assert "乙客户" in body(client.get(url, {"state": "dropped"}))
    text = body(client.get(url, {"state": "all", "q": "腾讯"}))
    assert "甲客户" in text and "乙客户" not in text
    text = body(client.get(url, {"state": "all", "source": "events"}))
    assert "乙客户" in text and "甲客户" not in text
    assert "甲客户" in body(client.get(url, {"owner": str(world.am1.pk), "stage": "1"}))
    assert a.name in body(client.get(url, {"q": "0000111"}))


@pytest.mark.parametrize("query", [{"stage": "9"}, {"state": "x"}, {"owner": "abc"}, {"created_from": "2024-13-01"},
                                   {"q": "a\x00b"}, {"after": "garbage"}])
def test_list_bad_filters_are_messages_not_errors(client, world, query):
    make_lead(world)
    r = login(client, world.am1).get(reverse("tracking:leads"), query)
    assert r.status_code == 200


def test_list_empty_state_and_no_new_button_for_the_desk(client, world):
    text = body(login(client, world.desk).get(reverse("tracking:leads")))
    assert '<div class="empty">' in text and "<table" not in text
    assert 'href="/tracking/leads/new/"' not in text


def test_list_query_count_is_bounded(client, world):
    for i in range(3):
        make_lead(world, name=f"客户{i}", mobile="")
    login(client, world.gm)
    client.get(reverse("tracking:leads"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("tracking:leads"))
    for i in range(20):
        lead = make_lead(world, name=f"更多{i}", mobile="", source=Source.REFERRAL, referrer=world.c_am1)
        services.log_follow_up(world.am1, lead, channel="phone", outcome="reached", summary="x")
    with CaptureQueriesContext(connection) as many:
        r = client.get(reverse("tracking:leads"))
    assert "更多19" in body(r)
    assert len(many) == len(few) <= 20


def test_export_goes_through_the_helper(client, world):
    make_lead(world, name="甲客户")
    make_lead(world, actor=world.am2, name="乙客户")
    r = login(client, world.am1).get(reverse("tracking:leads_export", args=["xlsx"]), {"state": "all"})
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["甲客户"]
    event = AuditEvent.objects.get(action="export", target="leads")
    assert event.rows == 1 and event.details["filters"] == {"state": "all"}
    r = client.get(reverse("tracking:leads_export", args=["csv"]))
    assert "甲客户" in b"".join(r.streaming_content).decode("utf-8-sig")
    assert client.get(reverse("tracking:leads_export", args=["pdf"])).status_code == 404
    assert login(client, world.desk).get(reverse("tracking:leads_export", args=["csv"])).status_code == 403


# ---- new and edit --------------------------------------------------------------------------------

def test_new_lead_from_a_referral_link(client, world):
    login(client, world.am1)
    url = reverse("tracking:lead_new")
    r = client.get(url, {"referrer": world.c_am1.pk})
    assert r.status_code == 200
    assert 'value="C001"' in body(r) and "张三" in body(r)
    assert client.get(url, {"referrer": world.c_am2.pk}).status_code == 404  # a file am1 does not see
    r = client.post(url, {"property": "H1", "kind": "person", "name": "赵六", "mobile": "13900002222",
                          "source": "referral", "referrer": "C001", "stage": "1", "owner": str(world.am1.pk)})
    lead = Lead.objects.get(name="赵六")
    assert r.status_code == 302 and r["Location"] == reverse("tracking:lead", args=[lead.pk])
    assert (lead.referrer, lead.owner, lead.source) == (world.c_am1, world.am1, "referral")


def test_new_lead_errors_are_shown_on_their_fields(client, world):
    login(client, world.am1)
    url = reverse("tracking:lead_new")
    r = client.post(url, {"property": "H1", "kind": "person", "name": "", "mobile": "123", "source": "referral",
                          "referrer": "", "stage": "1"})
    assert r.status_code == 422
    text = body(r)
    for field in ("name", "mobile", "referrer"):
        assert f'id="field-{field}"' in text
        assert text.split(f'id="field-{field}"')[1].split("</div>")[0].count('class="error"') >= 1, field
    r = client.post(url, {"property": "H1", "kind": "person", "name": "赵六", "source": "referral",
                          "referrer": "C002", "stage": "1"})  # am2's file: not visible to am1
    assert r.status_code == 422
    assert 'class="error"' in body(r).split('id="field-referrer"')[1].split("</div>")[0]
    r = client.post(url, {"property": "H1", "kind": "person", "name": "赵六", "source": "marketing",
                          "stage": "1", "owner": str(world.am2.pk)})  # not assignable by am1
    assert r.status_code == 422
    assert not Lead.objects.exists()


def test_edit_lead(client, world):
    lead = make_lead(world)
    login(client, world.am1)
    url = reverse("tracking:lead_edit", args=[lead.pk])
    r = client.post(url, {"kind": "person", "name": "王五改", "mobile": "13800001111", "source": "informant",
                          "informant": "老周", "owner": str(world.am1.pk)})
    assert r.status_code == 302
    lead.refresh_from_db()
    assert (lead.name, lead.informant) == ("王五改", "老周")
    r = client.post(url, {"kind": "person", "name": "王五改", "source": "informant", "informant": ""})
    assert r.status_code == 422
    text = body(client.get(reverse("tracking:lead", args=[lead.pk])))
    assert "王五改" in text and "老周" in text  # history rows


# ---- the lead's page: follow-ups, drop, reopen ---------------------------------------------------

def test_log_follow_ups_shows_ordinals_newest_first(client, world):
    lead = make_lead(world)
    login(client, world.am1)
    url = reverse("tracking:lead_follow_up", args=[lead.pk])
    for i in range(2):
        r = client.post(url, {"channel": "wechat", "outcome": "interested", "summary": f"第{i + 1}次"})
        assert r.status_code == 302
    r = client.post(url, {"channel": "wechat", "outcome": "interested", "summary": ""})
    assert r.status_code == 422
    assert 'class="error"' in body(r).split('id="field-summary"')[1].split("</div>")[0]
    r = client.post(url, {"channel": "fax", "outcome": "interested", "summary": "x"})
    assert r.status_code == 422
    assert FollowUp.objects.filter(lead=lead).count() == 2
    text = body(client.get(reverse("tracking:lead", args=[lead.pk])))
    assert text.index("第2次") < text.index("第1次")
    lead.refresh_from_db()
    assert lead.stage == Stage.CONTACTED


def test_drop_and_reopen(client, world):
    lead = make_lead(world)
    login(client, world.am1)
    r = client.post(reverse("tracking:lead_drop", args=[lead.pk]), {"reason": ""})
    assert r.status_code == 422
    r = client.post(reverse("tracking:lead_drop", args=[lead.pk]), {"reason": "预算不够"})
    assert r.status_code == 302
    lead.refresh_from_db()
    assert lead.drop_reason == "预算不够"
    r = client.post(reverse("tracking:lead_drop", args=[lead.pk]), {"reason": "again"}, follow=True)
    assert r.status_code == 200 and 'class="msg msg-error"' in body(r)
    lead.refresh_from_db()
    assert lead.drop_reason == "预算不够"
    client.post(reverse("tracking:lead_reopen", args=[lead.pk]))
    lead.refresh_from_db()
    assert lead.dropped_at is None


# ---- the board -----------------------------------------------------------------------------------

def test_board_shows_columns_and_cards(client, world):
    lead = make_lead(world, name="看板客户")
    services.move_stage(world.am1, lead, Stage.FINE)
    other = make_lead(world, actor=world.am2, name="别人的")
    converted = make_lead(world, name="已成交", mobile="", employer="")
    services.convert(world.am1, converted)
    text = body(login(client, world.am1).get(reverse("tracking:board")))
    assert "看板客户" in text and other.name not in text and "已成交" in text
    assert f'data-stage="{int(Stage.FINE)}"' in text
    assert 'draggable="true"' in text
    assert "tracking/board.js" in text
    assert "<script>" not in text and "style=" not in text
    text = body(login(client, world.desk).get(reverse("tracking:board")))  # reads, does not move
    assert 'draggable="true"' not in text
    assert login(client, world.am1).get(reverse("tracking:board"), {"property": "H2"}).status_code == 404
    assert login(client, world.am1).get(reverse("tracking:board"), {"property": "ZZ"}).status_code == 404


def test_board_move_json_and_conflict_409(client, world):
    lead = make_lead(world)
    login(client, world.am1)
    url = reverse("tracking:lead_stage", args=[lead.pk])
    r = client.post(url, {"stage": "3", "expect": "1"}, HTTP_ACCEPT="application/json")
    assert r.status_code == 200 and r.json()["stage"] == 3
    # the page still showed stage 1: someone else moved it meanwhile
    r = client.post(url, {"stage": "4", "expect": "1"}, HTTP_ACCEPT="application/json")
    assert r.status_code == 409
    assert r["Content-Type"].startswith("text/plain")
    lead.refresh_from_db()
    assert lead.stage == 3
    r = client.post(url, {"stage": "7", "expect": "3"}, HTTP_ACCEPT="application/json")
    assert r.status_code == 422
    r = client.post(url, {"stage": "abc"}, HTTP_ACCEPT="application/json")
    assert r.status_code == 422
    # without script: the card's form redirects back with a message
    r = client.post(url, {"stage": "4", "expect": "3", "next": reverse("tracking:board")})
    assert r.status_code == 302 and r["Location"] == reverse("tracking:board")
    r = client.post(url, {"stage": "5", "expect": "3", "next": "https://evil.example/"})
    assert r.status_code == 302 and r["Location"] == reverse("tracking:lead", args=[lead.pk])
    lead.refresh_from_db()
    assert lead.stage == 4


# ---- conversion ----------------------------------------------------------------------------------

def test_convert_without_a_match_creates_the_file(client, world):
    lead = make_lead(world, mobile="13800009999", employer="")
    login(client, world.am1)
    url = reverse("tracking:lead_convert", args=[lead.pk])
    assert 'name="action" value="create"' in body(client.get(url))
    r = client.post(url, {"action": "create"})
    lead.refresh_from_db()
    assert r.status_code == 302 and r["Location"] == reverse("customers:detail", args=[lead.customer_id])
    assert lead.stage == Stage.CUSTOMER
    r = client.get(url)
    assert r.status_code == 302  # already converted


def test_convert_warns_of_duplicates_visible_and_hidden(client, world):
    make_customer(world.h1, "C010", "王五", owner=world.am2, mobile="13800001111")  # hidden from am1
    lead = make_lead(world, name="张三", mobile="13812345678")  # world.c_am1's mobile
    login(client, world.am1)
    url = reverse("tracking:lead_convert", args=[lead.pk])
    text = body(client.get(url))
    assert "C001" in text
    assert "C010" not in text  # the hidden one is only counted
    r = client.post(url, {"action": "create"})
    assert r.status_code == 409
    lead.refresh_from_db()
    assert lead.customer_id is None
    r = client.post(url, {"action": "link", "customer": str(world.c_am2.pk)})  # not theirs
    assert r.status_code == 422
    r = client.post(url, {"action": "link", "customer": "x"})
    assert r.status_code == 422
    r = client.post(url, {"action": "link", "customer": str(world.c_am1.pk)})
    assert r.status_code == 302
    lead.refresh_from_db()
    assert lead.customer == world.c_am1


def test_convert_create_anyway(client, world):
    lead = make_lead(world, name="张三", mobile="13812345678")
    login(client, world.am1)
    r = client.post(reverse("tracking:lead_convert", args=[lead.pk]), {"action": "create_anyway"})
    assert r.status_code == 302
    lead.refresh_from_db()
    assert lead.customer_id and lead.customer_id != world.c_am1.pk
