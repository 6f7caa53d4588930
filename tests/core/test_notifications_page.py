"""R-8.3 in-app notifications: each user's list (newest first, in the reader's language, unread
highlighted, keyset pages), "mark all read", opening one marks it read and follows only a link
of this site (no open redirect, someone else's is a 404), and the bell with the unread count
in the top bar at one query per page."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from yingke.core import notify
from yingke.core.models import Notification

LIST = reverse("notifications:list")
READ_ALL = reverse("notifications:read_all")


def send(user, n, key=None, link=None, when=None):
    """A "came in through the feedback page" notification about complaint n."""
    key = key or f"test:{n}"
    notify.send([user], "complaint.new", key, {"complaint": n}, link=f"/complaints/{n}/" if link is None else link)
    if when is not None:
        Notification.objects.filter(user=user, key=key).update(created_at=when)
    return Notification.objects.get(user=user, key=key)


def open_url(n):
    return reverse("notifications:open", args=[n.pk])


def rows(body):
    return re.findall(r'data-notification="(\d+)"', body)


@pytest.fixture
def inbox(world):
    now = timezone.now()
    older = send(world.desk, 1, when=now - dt.timedelta(hours=2))
    newer = send(world.desk, 2, when=now - dt.timedelta(hours=1))
    send(world.gm, 3)
    return older, newer


def test_the_list_is_the_users_own_newest_first_in_their_language(client, world, inbox):
    older, newer = inbox
    client.force_login(world.desk)
    body = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert rows(body) == [str(newer.pk), str(older.pk)]  # not the GM's
    assert "Complaint TS000002 came in through the feedback page." in body
    assert body.count('class="notification is-unread"') == 2
    client.cookies["django_language"] = "zh-hans"
    body = client.get(LIST).content.decode()
    assert "TS000002" in body and "came in through" not in body


def test_unknown_kinds_and_broken_arguments_still_show(client, world):
    notify.send([world.desk], "nobody.knows", "x:1", {}, link="/")
    notify.send([world.desk], "complaint.new", "x:2", {"wrong": 1}, link="/")
    client.force_login(world.desk)
    body = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert len(rows(body)) == 2 and body.count(">Notification<") == 2


def test_mark_all_read(client, world, inbox):
    client.force_login(world.desk)
    assert client.get(READ_ALL).status_code == 405
    r = client.post(READ_ALL)
    assert r.status_code == 302 and r["Location"] == LIST
    assert notify.unread_count(world.desk) == 0 and notify.unread_count(world.gm) == 1
    body = client.get(LIST).content.decode()
    assert "is-unread" not in body and len(rows(body)) == 2
    assert f'action="{READ_ALL}"' not in body  # nothing left to mark


def test_opening_one_marks_it_read_and_follows_its_link(client, world, inbox):
    older, newer = inbox
    client.force_login(world.desk)
    r = client.get(open_url(newer))
    assert r.status_code == 302 and r["Location"] == "/complaints/2/"
    newer.refresh_from_db()
    older.refresh_from_db()
    assert newer.read_at is not None and older.read_at is None
    first = newer.read_at
    assert client.post(open_url(newer))["Location"] == "/complaints/2/"  # again: still read, same time
    newer.refresh_from_db()
    assert newer.read_at == first


def test_someone_elses_notification_is_a_404_and_stays_unread(client, world, inbox):
    theirs = Notification.objects.get(user=world.gm)
    client.force_login(world.desk)
    assert client.get(open_url(theirs)).status_code == 404
    assert client.post(open_url(theirs)).status_code == 404
    assert client.get(reverse("notifications:open", args=[999999])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("link", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
                                  "complaints/1/", "", " //evil.example", "/\t/evil.example"])
def test_only_links_of_this_site_are_followed(client, world, link):
    n = send(world.desk, 9, link=link)
    client.force_login(world.desk)
    r = client.get(open_url(n))
    assert r.status_code == 302 and r["Location"] == LIST
    n.refresh_from_db()
    assert n.read_at is not None
    body = client.get(LIST).content.decode()
    assert "evil.example" not in body and "javascript:" not in body


def test_pages_go_by_keyset(client, world):
    now = timezone.now()
    made = [send(world.desk, i, when=now - dt.timedelta(minutes=i)) for i in range(1, 36)]
    client.force_login(world.desk)
    body = client.get(LIST).content.decode()
    first = rows(body)
    assert first == [str(n.pk) for n in made[:30]]
    nxt = re.search(r'href="\?after=([\w-]+)"', body).group(1)
    second = rows(client.get(LIST + "?after=" + nxt).content.decode())
    assert second == [str(n.pk) for n in made[30:]]
    body = client.get(LIST + "?after=not-a-cursor", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert rows(body) == first and "no longer valid" in body


def test_the_unread_filter(client, world, inbox):
    older, newer = inbox
    notify.mark_read(world.desk, [older.pk])
    client.force_login(world.desk)
    assert rows(client.get(LIST + "?unread=1").content.decode()) == [str(newer.pk)]
    notify.mark_read(world.desk)
    body = client.get(LIST + "?unread=1", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert rows(body) == [] and "No unread notifications." in body


def test_empty_list(client, world):
    client.force_login(world.sup)
    body = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No notifications yet." in body and 'class="empty' in body


def test_login_required(client):
    assert client.get(LIST).status_code == 302
    assert client.post(READ_ALL).status_code == 302


def test_the_bell_shows_the_unread_count_without_a_query(client, world, inbox):
    client.force_login(world.desk)
    with CaptureQueriesContext(connection) as seen:
        body = client.get(reverse("customers:list")).content.decode()
    bell = re.search(rf'<a class="bell[^"]*" href="{LIST}"[^>]*>.*?</a>', body, re.S).group(0)
    assert 'data-unread="2"' in bell and '<span class="bell-count">2</span>' in bell
    assert [q for q in seen.captured_queries if "core_notification" in q["sql"]] == []  # the counter on the user
    notify.mark_read(world.desk)
    body = client.get(reverse("home")).content.decode()
    assert 'data-unread="0"' in body and "bell-count" not in body


def test_the_bell_says_99_plus(client, world):
    Notification.objects.bulk_create(Notification(user=world.gm, kind="x", key=f"k{i}") for i in range(120))
    client.force_login(world.gm)
    assert '<span class="bell-count">99+</span>' in client.get(LIST).content.decode()
