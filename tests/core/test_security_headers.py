"""Security headers on every kind of answer, host names, and the HTTPS switch (R-12.1)."""

import json
import os
import subprocess
import sys

import pytest
from django.urls import reverse

CSP = "Content-Security-Policy"


def assert_secure_headers(response):
    policy = response.headers[CSP]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/login/", "/api/health", "/api/me", "/no-such-page/"])
def test_every_answer_carries_the_headers(client, db, path):
    assert_secure_headers(client.get(path))


def test_pages_of_a_logged_in_user_carry_them(client, world):
    client.force_login(world.gm)
    for path in [reverse("home"), reverse("customers:list"), reverse("customers:detail", args=[world.c_am1.pk])]:
        response = client.get(path)
        assert response.status_code == 200
        assert_secure_headers(response)
        assert b"<style" not in response.content and b" style=" not in response.content


def test_only_local_host_names_are_answered_by_default(client, db):
    assert client.get("/login/", HTTP_HOST="127.0.0.1:8000").status_code == 200
    assert client.get("/login/", HTTP_HOST="localhost").status_code == 200
    assert client.get("/login/", HTTP_HOST="[::1]:8000").status_code == 200
    assert client.get("/login/", HTTP_HOST="crm.evil.example").status_code == 400


def settings_in_a_new_process(**env) -> dict:
    """The settings a process started with `env` computes (module-level settings)."""
    code = ("import json, django; django.setup(); from django.conf import settings as s; print(json.dumps({"
            "'hosts': s.ALLOWED_HOSTS, 'proxy': s.SECURE_PROXY_SSL_HEADER, 'session': s.SESSION_COOKIE_SECURE,"
            "'csrf': s.CSRF_COOKIE_SECURE, 'hsts': s.SECURE_HSTS_SECONDS}))")
    full = {k: v for k, v in os.environ.items() if not k.startswith("YINGKE_")}
    full.update(DJANGO_SETTINGS_MODULE="yingke.settings", **env)
    out = subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_host_names_and_https_from_the_environment(tmp_path):
    plain = settings_in_a_new_process(YINGKE_HOME=str(tmp_path))
    assert plain == {"hosts": ["localhost", "127.0.0.1", "[::1]"], "proxy": None, "session": False,
                     "csrf": False, "hsts": 0}
    https = settings_in_a_new_process(YINGKE_HOME=str(tmp_path), YINGKE_HTTPS="1",
                                      YINGKE_ALLOWED_HOSTS="crm.hotel.cn, 192.168.1.10")
    assert https["hosts"] == ["crm.hotel.cn", "192.168.1.10"]
    assert https["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert https["session"] and https["csrf"] and https["hsts"] >= 180 * 24 * 3600


def test_behind_the_proxy_axes_counts_the_browsers_address(rf, settings):
    from yingke.core.auth_views import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.1.2.3", REMOTE_ADDR="127.0.0.1")
    settings.HTTPS = False
    assert client_ip(request) == "127.0.0.1"
    settings.HTTPS = True
    assert client_ip(request) == "10.1.2.3"  # what nginx saw; the forged first entry is ignored
