"""`yingke user add` applies the same password rules as the web (R-12.1); generated
passwords pass them."""

import re

from django.contrib.auth.password_validation import validate_password

from yingke.core.models import User


def test_a_weak_password_is_refused_and_nothing_is_created(cli):
    cli("property", "add", "H1", "--name", "酒店")
    for password, reason in [("Short-1", "at least 10 characters"), ("password123", "too common"),
                             ("frontdesk01", "too similar")]:
        proc = cli("user", "add", "frontdesk01", "--role", "front_desk", "--property", "H1", "--password",
                   password, lang="en")
        assert proc.returncode == 2, proc.output
        assert reason in proc.stderr and "Traceback" not in proc.output
    zh = cli("user", "add", "frontdesk01", "--role", "front_desk", "--property", "H1", "--password", "password123")
    assert zh.returncode == 2 and "太常见" in zh.stderr
    assert cli.sql("SELECT count(*) FROM core_user") == [(0,)]


def test_a_generated_password_passes_the_rules(cli):
    cli("property", "add", "H1", "--name", "酒店")
    proc = cli("user", "add", "desk", "--role", "front_desk", "--property", "H1", lang="en")
    assert proc.returncode == 0, proc.output
    password = re.search(r"Generated password: (\S+)", proc.stdout).group(1)
    assert len(password) >= 10
    validate_password(password, User(username="desk"))
