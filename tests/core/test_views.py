"""Log-in, lock-out, log-out, password change, language switch and the home page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from yingke.core.permissions import SYSTEM
from yingke.customers.models import SpecialDate
from yingke.customers.services import save_special_date

LOGIN = reverse("login")
HOME = reverse("home")


def test_login_page_is_chinese_by_default(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'lang="zh-CN"' in body and "登录" in body and "密码" in body


def test_login_page_in_english(client, db):
    client.cookies["django_language"] = "en"
    body = client.get(LOGIN).content.decode()
    assert 'lang="en"' in body and "Log in" in body and "Password" in body


def test_login_and_logout(client, world):
    response = client.post(LOGIN, {"username": "am1", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == HOME
    # an account manager's home is the daily control table
    assert client.get(HOME).headers["Location"] == reverse("control:today")
    assert client.get(reverse("control:today")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert client.get(HOME).status_code == 302


def test_wrong_password_says_so(client, world):
    client.cookies["django_language"] = "en"
    response = client.post(LOGIN, {"username": "am1", "password": "wrong"})
    assert response.status_code == 200
    assert "user name or password is not correct" in response.content.decode()


def test_lockout_after_repeated_failures(client, world, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    client.cookies["django_language"] = "en"
    for _ in range(3):
        response = client.post(LOGIN, {"username": "am1", "password": "wrong"})
    response = client.post(LOGIN, {"username": "am1", "password": PASSWORD})
    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many failed log-in attempts" in body and "15 minutes" in body
    assert client.get(HOME).status_code == 302  # still not logged in


def test_lockout_message_in_chinese(client, world, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 1
    client.post(LOGIN, {"username": "desk", "password": "wrong"})
    response = client.post(LOGIN, {"username": "desk", "password": "wrong"})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_password_change(client, world):
    client.force_login(world.am1)
    url = reverse("password_change")
    assert client.get(url).status_code == 200
    response = client.post(url, {"old_password": "nope", "new_password1": "x", "new_password2": "y"})
    assert response.status_code == 200 and response.context["form"].errors
    new = "Another-pass-2026"
    response = client.post(url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    world.am1.refresh_from_db()
    assert world.am1.check_password(new)
    assert client.get(reverse("password_change_done")).status_code == 200


def test_language_switch(client, world):
    client.force_login(world.gm)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/customers/"})
    assert response.status_code == 302 and response["Location"] == "/customers/"
    assert 'lang="en"' in client.get(HOME).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert 'lang="zh-CN"' in client.get(HOME).content.decode()


def test_every_page_has_the_top_bar(client, world):
    client.force_login(world.desk)
    for url in [HOME, reverse("customers:list"), reverse("search") + "?q=zs", reverse("customers:quick"),
                reverse("customers:detail", args=[world.c_am1.pk]), reverse("password_change")]:
        body = client.get(url).content.decode()
        assert 'name="q"' in body and reverse("logout") in body and reverse("set_language") in body, url


@pytest.fixture
def dates(world):
    today = timezone.localdate()
    soon = today + dt.timedelta(days=2)
    later = today + dt.timedelta(days=20)
    save_special_date(SYSTEM, SpecialDate(customer=world.c_am1, month=soon.month, day=soon.day))
    save_special_date(SYSTEM, SpecialDate(customer=world.c_am2, month=soon.month, day=soon.day))
    save_special_date(SYSTEM, SpecialDate(customer=world.c_pool, month=later.month, day=later.day))
    save_special_date(SYSTEM, SpecialDate(customer=world.c_h2, month=today.month, day=today.day))
    return soon


@pytest.mark.parametrize("role, expected", [
    ("gm", ["单田芳", "张三"]), ("am1", ["张三"]), ("am2", ["单田芳"]), ("desk", ["单田芳", "张三"]),
    ("gm2", ["张珊"]),
])
def test_home_shows_upcoming_dates_of_visible_guests(client, world, dates, role, expected):
    client.force_login(getattr(world, role))
    # an account manager's home is the control table: the care reminders are its pages (?page=)
    response = client.get(HOME, {"page": 1} if role.startswith("am") else {})
    assert response.status_code == 200
    upcoming = response.context["upcoming"]
    assert sorted(u["customer"].name for u in upcoming) == sorted(expected)
    assert all(0 <= u["in_days"] <= 7 for u in upcoming)


def test_administrator_goes_from_home_to_the_settings(client, world, dates):
    """Administrators see no guest files (R-1.2): their home is the configuration."""
    client.force_login(world.admin)
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"] == "/settings/"
    page = client.get("/settings/").content.decode()
    assert "/customers/" not in page and 'name="q"' not in page  # no customer list, no search box


def test_home_lists_lunar_dates_by_their_solar_day(client, world):
    from yingke.customers.lunar import solar_to_lunar

    target = timezone.localdate() + dt.timedelta(days=4)
    _year, month, day = solar_to_lunar(target)
    save_special_date(SYSTEM, SpecialDate(customer=world.c_am1, calendar="lunar", month=abs(month), day=day,
                                        leap_month=month < 0))
    client.force_login(world.am1)
    (u,) = client.get(HOME, {"page": 1}).context["upcoming"]  # an account manager's care-reminder page
    assert u["date"] == target and u["in_days"] == 4 and u["described"].startswith("农历")


def test_404_and_403_pages_are_ours_and_translated(client, world):
    client.force_login(world.am1)
    response = client.get(reverse("customers:detail", args=[world.c_am2.pk]))
    assert response.status_code == 404 and "没有找到该页面或档案" in response.content.decode()
    assert "单田芳" not in response.content.decode()
    client.force_login(world.sup)
    response = client.get(reverse("customers:edit", args=[world.c_am1.pk]))
    assert response.status_code == 403 and "但不能修改其常规信息" in response.content.decode()
