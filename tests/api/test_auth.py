"""Session and token authentication, CSRF, tokens (issue 3, point 8)."""

import pytest
from django.test import Client

from tests.api.helpers import ApiClient, session_client
from yingke.core.models import ApiToken
from yingke.customers.models import Customer

pytestmark = pytest.mark.django_db


def test_health_needs_no_login(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("method,path", [
    ("get", "/api/customers"), ("get", "/api/customers/search?q=zs"), ("get", "/api/me"),
    ("post", "/api/customers"), ("get", "/api/customers/1"), ("patch", "/api/customers/1"),
    ("get", "/api/customers/1/notes"), ("delete", "/api/customers/1/preferences/1"),
])
def test_anonymous_gets_401_json(world, method, path):
    api = ApiClient(Client(enforce_csrf_checks=True))
    response = getattr(api, method)(path) if method in ("get", "delete") else getattr(api, method)(path, {})
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    assert "Bearer" in response["WWW-Authenticate"]


def test_token_auth(world, api_as):
    response = api_as(world.am1).get("/api/me")
    assert response.status_code == 200
    assert response.json()["username"] == "am1"
    assert ApiToken.objects.get(user=world.am1).last_used_at is not None


@pytest.mark.parametrize("header", ["Bearer yk_wrong", "Bearer ", "Basic YW0xOnB3", "yk_nobearer", "Token abc"])
def test_bad_token_is_401(world, header):
    api = ApiClient(Client(), {"Authorization": header})
    response = api.get("/api/customers")
    assert response.status_code == 401
    assert set(response.json()) == {"detail"}


def test_bad_token_is_401_even_with_a_session(world):
    api = session_client(world.gm)
    assert api.get("/api/me").status_code == 200
    response = api.get("/api/me", Authorization="Bearer yk_wrong")
    assert response.status_code == 401


def test_token_of_inactive_user_is_401(world):
    _token, key = ApiToken.issue(world.am1)
    world.am1.is_active = False
    world.am1.save()
    response = ApiClient(Client(), {"Authorization": f"Bearer {key}"}).get("/api/me")
    assert response.status_code == 401


def test_session_auth_reads(world):
    response = session_client(world.gm, csrf=False).get("/api/customers")
    assert response.status_code == 200


def test_session_post_without_csrf_fails_and_stores_nothing(world):
    before = Customer.objects.count()
    api = session_client(world.gm, csrf=False)
    response = api.post("/api/customers", {"name": "王五"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    for call in (lambda: api.patch(f"/api/customers/{world.c_am1.pk}", {"name": "改名"}),
                 lambda: api.delete("/api/tokens/1"),
                 lambda: api.post(f"/api/customers/{world.c_am1.pk}/notes", {"text": "x"})):
        assert call().status_code == 403
    assert Customer.objects.count() == before
    assert Customer.objects.get(pk=world.c_am1.pk).name == "张三"


def test_session_post_with_csrf_works(world):
    response = session_client(world.gm).post("/api/customers", {"name": "王五"})
    assert response.status_code == 201, response.content


def test_session_post_with_wrong_csrf_header_fails(world):
    api = session_client(world.gm)
    response = api.post("/api/customers", {"name": "王五"}, **{"X-CSRFToken": "b" * 32})
    assert response.status_code == 403


def test_token_post_needs_no_csrf(world, api_as):
    response = api_as(world.gm).post("/api/customers", {"name": "王五"})
    assert response.status_code == 201


def test_unknown_api_url_is_json_404(world, api_as):
    response = api_as(world.gm).get("/api/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到。"}


def test_token_management(world):
    api = session_client(world.am1)
    created = api.post("/api/tokens", {"name": "POS"})
    assert created.status_code == 201
    body = created.json()
    assert body["key"].startswith("yk_") and body["name"] == "POS"
    # The key works, and only its hash is stored.
    token_api = ApiClient(Client(), {"Authorization": f"Bearer {body['key']}"})
    assert token_api.get("/api/me").json()["username"] == "am1"
    assert not ApiToken.objects.filter(key_hash=body["key"]).exists()
    listed = api.get("/api/tokens").json()
    assert [t["name"] for t in listed] == ["POS"] and "key" not in listed[0]
    # Someone else's token is not found; one's own is deleted.
    other, _key = ApiToken.issue(world.am2)
    assert api.delete(f"/api/tokens/{other.pk}").status_code == 404
    assert ApiToken.objects.filter(pk=other.pk).exists()
    assert api.delete(f"/api/tokens/{body['id']}").status_code == 204
    assert token_api.get("/api/me").status_code == 401


def test_me(world, api_as):
    data = api_as(world.desk).get("/api/me", **{"Accept-Language": "en"}).json()
    assert data["role"] == "front_desk" and data["role_label"] == "Lobby manager / front desk"
    assert data["properties"] == [{"code": "H1", "name": "迎客大酒店", "kind": "hotel"}]
    assert data["sees_full_mobile"] is False and data["can_export"] is False


def test_wrong_method_is_json_405(world, api_as):
    response = api_as(world.gm).delete(f"/api/customers/{world.c_am1.pk}", **{"Accept-Language": "en"})
    assert response.status_code == 405
    assert response["Allow"] == "GET, PATCH"
    assert response.json() == {"detail": "Method DELETE is not allowed here; use GET, PATCH."}
    assert Customer.objects.filter(pk=world.c_am1.pk).exists()


def test_responses_are_utf8_json(world, api_as):
    response = api_as(world.gm).get(f"/api/customers/{world.c_am1.pk}")
    assert "张三".encode() in response.content
