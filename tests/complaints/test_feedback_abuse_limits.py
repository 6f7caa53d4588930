"""Abuse limits of the public feedback page (R-8.4): per client address and per device
cookie (5 in 10 minutes each, 30 a day per address) → 429 with a page in the guest's
language; the honeypot counts, a refused form does not."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from yingke.complaints import feedback
from yingke.complaints.models import Feedback
from yingke.core.models import Outlet


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def url(world):
    return reverse("feedback:page", args=[feedback.make_token(world.h1, Outlet.objects.get(property=world.h1))])


def send(client, url, ip="203.0.113.7", **extra):
    data = {"kind": "praise", "text": "很好", **extra}
    return client.post(url, data, REMOTE_ADDR=ip)


def test_sixth_submission_from_one_address_is_429(url):
    for n in range(5):
        assert send(Client(), url).status_code == 302, n  # a new device each time
    r = send(Client(HTTP_ACCEPT_LANGUAGE="en"), url)
    assert r.status_code == 429
    assert r["Retry-After"] == "600"
    html = r.content.decode()
    assert "Please wait a moment" in html and '<html lang="en">' in html and "mainnav" not in html
    assert Feedback.objects.count() == 5
    assert send(Client(), url, ip="203.0.113.8").status_code == 302  # another address is not held up


def test_the_429_page_speaks_chinese_by_default(url):
    for _n in range(5):
        send(Client(), url)
    r = send(Client(), url)
    assert r.status_code == 429 and '<html lang="zh-CN">' in r.content.decode()


def test_sixth_submission_from_one_device_is_429_whatever_the_address(url):
    guest = Client()
    guest.get(url)  # the device cookie is set on the first visit
    assert guest.cookies["yk_device"].value
    for n in range(5):
        assert send(guest, url, ip=f"198.51.100.{n + 1}").status_code == 302
    assert send(guest, url, ip="198.51.100.99").status_code == 429
    assert Feedback.objects.count() == 5


def test_a_device_cookie_is_given_on_a_first_post_too(url):
    guest = Client()
    r = send(guest, url)
    assert r.status_code == 302 and "yk_device" in r.cookies


def test_forwarded_for_is_ignored_without_the_https_proxy(url):
    for n in range(5):
        assert Client().post(url, {"kind": "praise", "text": "好"}, REMOTE_ADDR="203.0.113.9",
                             HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code == 302
    assert Client().post(url, {"kind": "praise", "text": "好"}, REMOTE_ADDR="203.0.113.9",
                         HTTP_X_FORWARDED_FOR="10.0.0.99").status_code == 429


@override_settings(HTTPS=True)
def test_behind_the_proxy_the_address_it_saw_counts(url):
    def via_proxy(forwarded):
        return Client().post(url, {"kind": "praise", "text": "好"}, REMOTE_ADDR="127.0.0.1",
                             HTTP_X_FORWARDED_FOR=forwarded, secure=True).status_code

    for n in range(5):
        assert via_proxy(f"10.0.0.{n}, 192.0.2.50") == 302  # the left part is the client's word
    assert via_proxy("10.9.9.9, 192.0.2.50") == 429
    assert via_proxy("192.0.2.51") == 302  # one nginx address for everybody, each guest counted apart


def test_the_honeypot_counts_and_refused_forms_do_not(url):
    guest = Client()
    for _n in range(6):
        assert send(guest, url, text="").status_code == 422  # refused: the guest corrects it
    for _n in range(4):
        assert send(guest, url, website="spam").status_code == 302
    assert send(guest, url).status_code == 302
    assert send(guest, url).status_code == 429
    assert Feedback.objects.count() == 1


def test_reading_the_page_is_never_limited(url):
    guest = Client()
    for _n in range(5):
        send(guest, url)
    assert guest.get(url, REMOTE_ADDR="203.0.113.7").status_code == 200


def test_windows_pass_and_the_daily_limit_holds():
    start = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    ip = "192.0.2.1"
    for n in range(5):
        assert not feedback.over_limit(ip, f"device-{n}", now=start)
        feedback.count_submission(ip, f"device-{n}", now=start)
    assert feedback.over_limit(ip, "another", now=start)
    assert feedback.over_limit(ip, "another", now=start + dt.timedelta(minutes=9))
    later = start + dt.timedelta(minutes=10)
    assert not feedback.over_limit(ip, "another", now=later)  # the next ten minutes
    # 30 a day: five more in each of five later windows
    for window in range(1, 6):
        when = start + dt.timedelta(minutes=10 * window)
        for n in range(5):
            assert not feedback.over_limit(ip, f"d{window}-{n}", now=when)
            feedback.count_submission(ip, f"d{window}-{n}", now=when)
    assert feedback.over_limit(ip, "fresh", now=start + dt.timedelta(hours=5))
    assert not feedback.over_limit(ip, "fresh", now=start + dt.timedelta(days=1))
    assert not feedback.over_limit("192.0.2.2", "fresh", now=start + dt.timedelta(hours=5))


def test_no_address_and_no_device_still_work():
    feedback.count_submission(None, None)
    assert not feedback.over_limit(None, None)
