"""API test helpers: JSON clients logged in by session or by bearer token."""

import json

from django.test import Client

from yingke.core.models import ApiToken

CSRF = "a" * 32  # a client-chosen CSRF secret: cookie and header must match (double submit)


class ApiClient:
    """A thin JSON wrapper over Django's test client."""

    def __init__(self, client: Client, headers=None):
        self.client, self.headers = client, dict(headers or {})

    def _send(self, method, path, data=None, **headers):
        kwargs = {"headers": {**self.headers, **headers}}
        if data is not None:
            kwargs["data"] = data if isinstance(data, (str, bytes)) else json.dumps(data)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path, data=None, **headers):
        return self.client.get(path, data or {}, headers={**self.headers, **headers})

    def post(self, path, data=None, **headers):
        return self._send("post", path, data, **headers)

    def patch(self, path, data=None, **headers):
        return self._send("patch", path, data, **headers)

    def put(self, path, data=None, **headers):
        return self._send("put", path, data, **headers)

    def delete(self, path, **headers):
        return self._send("delete", path, **headers)


def session_client(user, csrf=True) -> ApiClient:
    """Logged in through the session; CSRF is enforced, and sent when `csrf`."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    headers = {}
    if csrf:
        client.cookies["csrftoken"] = CSRF
        headers["X-CSRFToken"] = CSRF
    return ApiClient(client, headers)


def token_client(user) -> ApiClient:
    _token, key = ApiToken.issue(user, name="test")
    return ApiClient(Client(enforce_csrf_checks=True), {"Authorization": f"Bearer {key}"})


def ids(response) -> set[int]:
    data = response.json()
    items = data["items"]
    return {(i["customer"] if "customer" in i else i)["id"] for i in items}
