"""Password rules (R-12.1): at least 10 characters, not a common password, not like the user
name, not digits only; on the password-change page, with messages in Chinese and English."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from tests.conftest import PASSWORD

URL = "password_change"


def change(client, new, lang="en"):
    client.cookies["django_language"] = lang
    return client.post(reverse(URL), {"old_password": PASSWORD, "new_password1": new, "new_password2": new})


@pytest.mark.parametrize(("new", "english", "chinese"), [
    ("Short-1", "too short. It must contain at least 10 characters", None),
    ("password123", "too common", "太常见"),
    ("98765432101234", "entirely numeric", "只包含数字"),
    ("am1am1am1am1", "too similar to the", "太相似"),
])
def test_a_weak_new_password_is_refused_with_a_clear_message(client, world, new, english, chinese):
    client.force_login(world.am1)
    response = change(client, new)
    assert response.status_code == 200
    assert english in response.content.decode()
    if chinese:
        assert chinese in change(client, new, lang="zh-hans").content.decode()
    world.am1.refresh_from_db()
    assert world.am1.check_password(PASSWORD)


def test_a_good_new_password_is_accepted(client, world):
    client.force_login(world.am1)
    response = change(client, "Yingke-harbour-77")
    assert response.status_code == 302
    world.am1.refresh_from_db()
    assert world.am1.check_password("Yingke-harbour-77")


def test_the_length_rule_speaks_chinese_once_translations_are_compiled(db):
    """Our own message for the length rule (Django 5.2's msgid lacks a zh-hans translation)."""
    with translation.override("en"), pytest.raises(ValidationError) as e:
        validate_password("Abc-12345")
    assert e.value.messages == ["This password is too short. It must contain at least 10 characters."]
    validate_password("Abc-123456")
