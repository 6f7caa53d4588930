"""Abuse limits of the public feedback page (R-8.4): per device cookie (5 in 10 minutes) and
per client address (30 in 10 minutes, 200 a day: every guest on the hotel's Wi-Fi shares one)
→ 429 with a page in the guest's language; neither the honeypot nor a refused form counts."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from yingke.complaints import feedback
from yingke.complaints.models import Feedback
from yingke.core.models import Outlet

DEVICE, ADDRESS, ADDRESS_DAY = 5, 30, 200
assert feedback.LIMITS == (("device", DEVICE, 600), ("ip", ADDRESS, 600), ("ip", ADDRESS_DAY, 86400))


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


def test_one_address_over_its_limit_is_429(url):
    for n in range(ADDRESS):
        assert send(Client(), url).status_code == 302, n  # a new device each time
    r = send(Client(HTTP_ACCEPT_LANGUAGE="en"), url)
    assert r.status_code == 429
    assert r["Retry-After"] == "600"
    html = r.content.decode()
    assert "Please wait a moment" in html and '<html lang="en">' in html and "mainnav" not in html
    assert Feedback.objects.count() == ADDRESS
    assert send(Client(), url, ip="203.0.113.8").status_code == 302  # another address is not held up


def test_the_429_page_speaks_chinese_by_default(url):
    guest = Client()
    for _n in range(DEVICE):
        send(guest, url)
    r = send(guest, url)
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
    for n in range(ADDRESS):
        assert Client().post(url, {"kind": "praise", "text": "好"}, REMOTE_ADDR="203.0.113.9",
                             HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code == 302
    assert Client().post(url, {"kind": "praise", "text": "好"}, REMOTE_ADDR="203.0.113.9",
                         HTTP_X_FORWARDED_FOR="10.0.0.99").status_code == 429


@override_settings(HTTPS=True)
def test_behind_the_proxy_the_address_it_saw_counts(url):
    def via_proxy(forwarded):
        return Client().post(url, {"kind": "praise", "text": "好"}, REMOTE_ADDR="127.0.0.1",
                             HTTP_X_FORWARDED_FOR=forwarded, secure=True).status_code

    for n in range(ADDRESS):
        assert via_proxy(f"10.0.0.{n}, 192.0.2.50") == 302  # the left part is the client's word
    assert via_proxy("10.9.9.9, 192.0.2.50") == 429
    assert via_proxy("192.0.2.51") == 302  # one nginx address for everybody, each guest counted apart


def test_neither_the_honeypot_nor_refused_forms_count(url):
    """A robot filling the hidden field is thanked and stores nothing; it must not use up the
    limit of an address that real guests share."""
    guest = Client()
    for _n in range(6):
        assert send(guest, url, text="").status_code == 422  # refused: the guest corrects it
    for _n in range(ADDRESS + 5):
        assert send(Client(), url, website="spam").status_code == 302
    assert Feedback.objects.count() == 0
    for _n in range(DEVICE):
        assert send(guest, url).status_code == 302
    assert send(guest, url).status_code == 429
    assert Feedback.objects.count() == DEVICE


def test_reading_the_page_is_never_limited(url):
    guest = Client()
    for _n in range(5):
        send(guest, url)
    assert guest.get(url, REMOTE_ADDR="203.0.113.7").status_code == 200


def test_windows_pass_and_the_daily_limit_holds():
    start = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    ip = "192.0.2.1"
    for n in range(ADDRESS):
        assert not feedback.over_limit(ip, f"device-{n}", now=start)
        feedback.count_submission(ip, f"device-{n}", now=start)
    assert feedback.over_limit(ip, "another", now=start)
    assert feedback.over_limit(ip, "another", now=start + dt.timedelta(minutes=9))
    assert not feedback.over_limit(ip, "another", now=start + dt.timedelta(minutes=10))  # the next ten minutes
    sent, window = ADDRESS, 1
    while sent < ADDRESS_DAY:  # the rest of the day's allowance, window after window
        when = start + dt.timedelta(minutes=10 * window)
        for n in range(min(ADDRESS, ADDRESS_DAY - sent)):
            assert not feedback.over_limit(ip, f"d{window}-{n}", now=when)
            feedback.count_submission(ip, f"d{window}-{n}", now=when)
            sent += 1
        window += 1
    assert feedback.over_limit(ip, "fresh", now=start + dt.timedelta(hours=5))
    assert not feedback.over_limit(ip, "fresh", now=start + dt.timedelta(days=1))
    assert not feedback.over_limit("192.0.2.2", "fresh", now=start + dt.timedelta(hours=5))


def test_no_address_and_no_device_still_work():
    feedback.count_submission(None, None)
    assert not feedback.over_limit(None, None)
