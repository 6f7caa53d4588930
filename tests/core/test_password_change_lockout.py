"""Wrong current passwords on the password-change page count as failed log-ins (R-12.1):
at AXES_FAILURE_LIMIT the user is logged out and told why, and no later guess, right or
wrong, changes the password."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.conftest import PASSWORD

NEW = "Harbour-lights-2026"


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 8


def attempt(client, old):
    return client.post(reverse("password_change"), {"old_password": old, "new_password1": NEW, "new_password2": NEW})


def test_twenty_wrong_guesses_then_the_right_one_change_nothing(client, world, axes_on):
    client.cookies["django_language"] = "en"
    client.force_login(world.am1)
    statuses = [attempt(client, f"guess-{i}").status_code for i in range(20)]
    assert statuses[:7] == [200] * 7  # the form again, with its error
    assert statuses[7] == 429  # the 8th wrong guess locks out
    response = attempt(client, PASSWORD)
    assert response.status_code in (302, 429)  # logged out: the login page, never a change
    world.am1.refresh_from_db()
    assert world.am1.check_password(PASSWORD) and not world.am1.check_password(NEW)
    assert client.get(reverse("home")).status_code == 302  # logged out
    # Logging in again is blocked too (same user, same address).
    login = client.post(reverse("login"), {"username": "am1", "password": PASSWORD})
    assert login.status_code == 429


def test_the_lockout_says_why_in_english_and_chinese(client, world, axes_on, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client.force_login(world.am1)
    client.cookies["django_language"] = "en"
    attempt(client, "wrong-1")
    response = attempt(client, "wrong-2")
    assert response.status_code == 429
    body = response.content.decode()
    assert "entered wrongly too many times" in body and "logged out" in body and "15 minutes" in body
    client.force_login(world.desk)
    client.cookies["django_language"] = "zh-hans"
    attempt(client, "wrong-1")
    assert "15 分钟" in attempt(client, "wrong-2").content.decode()


def test_an_already_locked_user_cannot_change_the_password_with_the_right_one(client, world, axes_on, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "am1", "password": "wrong"})
    client.force_login(world.am1)  # e.g. a session opened before the failures
    response = attempt(client, PASSWORD)
    assert response.status_code == 429
    world.am1.refresh_from_db()
    assert world.am1.check_password(PASSWORD)


def test_the_failure_log_keeps_no_password(client, world, axes_on):
    client.force_login(world.am1)
    attempt(client, "my-secret-guess")
    record = AccessAttempt.objects.get(username="am1")
    assert "my-secret-guess" not in record.post_data and NEW not in record.post_data


def test_the_right_current_password_still_changes_it(client, world, axes_on):
    client.force_login(world.am1)
    attempt(client, "one-wrong-guess")
    assert attempt(client, PASSWORD).status_code == 302
    world.am1.refresh_from_db()
    assert world.am1.check_password(NEW)
