"""The in-app notification list (issue 16 point 3): one's own only, newest first, the text in
the request's language, marking read by ids or all; someone else's never read or changed."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.api.helpers import ApiClient, token_client
from yingke.core import notify
from yingke.core.models import Notification

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}
ROLES = ["gm", "desk", "sup", "am1", "am2", "admin", "gm2"]


@pytest.fixture
def sent(world):
    """Three notifications for each member of staff (an escalation, an approval, an unknown kind),
    a minute apart, newest last."""
    users = [getattr(world, r) for r in ROLES]
    base = timezone.now() - dt.timedelta(hours=1)
    for i, (kind, args) in enumerate([("complaint.escalation", {"complaint": 7, "step": 2, "level": 1}),
                                      ("complaint.approval", {"complaint": 8, "amount": "800.00"}),
                                      ("other.kind", {})]):
        notify.send(users, kind, f"k{i}", args, link=f"/complaints/{7 + i}/")
        Notification.objects.filter(key=f"k{i}").update(created_at=base + dt.timedelta(minutes=i))
    return world


@pytest.mark.parametrize("role", ROLES)
def test_everyone_reads_only_their_own_newest_first(sent, role):
    user = getattr(sent, role)
    body = token_client(user).get("/api/notifications", **EN).json()
    mine = list(Notification.objects.filter(user=user).order_by("-created_at").values_list("pk", flat=True))
    assert [n["id"] for n in body["items"]] == mine and body["count"] == 3 and body["unread"] == 3
    assert [n["kind"] for n in body["items"]] == ["other.kind", "complaint.approval", "complaint.escalation"]
    assert body["items"][1]["text"] == "Complaint TS000008: a compensation of ¥800.00 waits for your approval."
    assert body["items"][0]["text"] == "Notification" and body["items"][2]["link"] == "/complaints/7/"


def test_text_in_the_request_language(sent):
    api = token_client(sent.gm)
    zh = api.get("/api/notifications").json()["items"][1]["text"]
    en = api.get("/api/notifications", **EN).json()["items"][1]["text"]
    assert "TS000008" in zh and zh != en and "¥800.00" in zh


def test_unread_filter_and_marking_by_ids(sent):
    api = token_client(sent.desk)
    mine = list(Notification.objects.filter(user=sent.desk).order_by("created_at").values_list("pk", flat=True))
    theirs = list(Notification.objects.filter(user=sent.gm).values_list("pk", flat=True))
    response = api.post("/api/notifications/read", {"ids": [mine[0], *theirs, 9_999_999]})
    assert response.status_code == 200 and response.json() == {"marked": 1, "unread": 2}
    assert not Notification.objects.filter(user=sent.gm, read_at__isnull=False).exists()  # never someone else's
    unread = api.get("/api/notifications", {"unread": "true"}).json()
    assert {n["id"] for n in unread["items"]} == set(mine[1:]) and unread["unread"] == 2
    read = api.get("/api/notifications", {"unread": "false"}).json()
    assert [n["id"] for n in read["items"]] == [mine[0]] and read["items"][0]["read"] is True
    again = api.post("/api/notifications/read", {"ids": [mine[0]]}).json()
    assert again == {"marked": 0, "unread": 2}


def test_marking_all_read(sent):
    api = token_client(sent.am1)
    assert api.post("/api/notifications/read", {"all": True}).json() == {"marked": 3, "unread": 0}
    assert Notification.objects.filter(read_at__isnull=True).exclude(user=sent.am1).count() == 3 * (len(ROLES) - 1)


@pytest.mark.parametrize("body", [{}, {"all": False}, {"ids": [1], "all": True}, {"ids": []}, {"ids": [0]},
                                  {"ids": ["1"]}, {"ids": [2**63]}, {"ids": list(range(1, 502))},
                                  {"all": "yes"}, {"ids": 1}, {"other": 1}])
def test_bad_input_is_a_422_and_changes_nothing(sent, body):
    response = token_client(sent.gm).post("/api/notifications/read", body)
    assert response.status_code == 422, (body, response.content)
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_paging_and_bad_query_input(sent):
    api = token_client(sent.gm)
    first = api.get("/api/notifications", {"limit": 2}).json()
    second = api.get(first["next"]).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next"] is None
    assert [n["kind"] for n in first["items"] + second["items"]] == ["other.kind", "complaint.approval",
                                                                     "complaint.escalation"]
    for bad in ({"limit": 0}, {"limit": 201}, {"cursor": "!!!"}, {"unread": "maybe"}, {"cursor": "x" * 1001}):
        assert api.get("/api/notifications", bad).status_code == 422, bad


def test_a_broken_notification_still_lists(sent):
    Notification.objects.filter(user=sent.gm, kind="complaint.approval").update(args={"complaint": "x"})
    items = token_client(sent.gm).get("/api/notifications", **EN).json()["items"]
    assert items[1]["text"] == "Notification"


def test_nobody_logged_in_gets_401(sent):
    api = ApiClient(Client(), {})
    assert api.get("/api/notifications").status_code == 401
    assert api.post("/api/notifications/read", {"all": True}).status_code == 401
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_a_session_needs_the_csrf_token(sent):
    from tests.api.helpers import session_client

    assert session_client(sent.gm, csrf=False).post("/api/notifications/read", {"all": True}).status_code == 403
    assert session_client(sent.gm).post("/api/notifications/read", {"all": True}).status_code == 200


def test_list_query_count_is_flat(sent, django_assert_max_num_queries):
    api = token_client(sent.gm)
    api.get("/api/notifications")
    for i in range(30):
        notify.send([sent.gm], "complaint.new", f"n{i}", {"complaint": i + 1})
    with django_assert_max_num_queries(6):
        assert len(api.get("/api/notifications", {"limit": 50}).json()["items"]) == 33
