"""API keys (R-12.1): an optional expiry, refused with 401 afterwards; last-used time written
at most once a minute, so that a series of API calls is not a series of database writes."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yingke.core.models import ApiToken


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def writes_to_tokens(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")
            and "apitoken" in q["sql"].lower()]


def test_a_key_with_an_expiry_is_created_through_the_api(api_as, world):
    response = api_as(world.gm).post("/api/tokens", {"name": "POS", "expires_in_days": 30})
    assert response.status_code == 201, response.content
    body = response.json()
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert abs(expires - (timezone.now() + dt.timedelta(days=30))) < dt.timedelta(minutes=1)
    assert abs(ApiToken.objects.get(pk=body["id"]).expires_at - expires) < dt.timedelta(milliseconds=1)
    listed = api_as(world.gm).get("/api/tokens").json()
    assert any(t["id"] == body["id"] and t["expires_at"] for t in listed)
    assert api_as(world.gm).post("/api/tokens", {"name": "no expiry"}).json()["expires_at"] is None


def test_an_expiry_out_of_range_is_refused_and_nothing_created(api_as, world):
    api = api_as(world.gm)
    before = ApiToken.objects.count()
    for days in (0, -1, 3651, "soon"):
        response = api.post("/api/tokens", {"name": "x", "expires_in_days": days})
        assert response.status_code == 422, (days, response.content)
        assert "expires_in_days" in str(response.json()["errors"])
    assert ApiToken.objects.count() == before


def test_an_expired_key_is_refused_with_401(client, world):
    token, key = ApiToken.issue(world.gm, name="short", expires_in_days=1)
    assert client.get("/api/me", **bearer(key)).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/api/me", **bearer(key))
    assert response.status_code == 401 and response.json()["detail"]


def test_last_used_is_written_at_most_once_a_minute(client, world):
    token, key = ApiToken.issue(world.gm)
    with CaptureQueriesContext(connection) as first:
        assert client.get("/api/me", **bearer(key)).status_code == 200
    assert len(writes_to_tokens(first.captured_queries)) == 1
    token.refresh_from_db()
    stamp = token.last_used_at
    assert stamp is not None
    for _ in range(3):
        with CaptureQueriesContext(connection) as again:
            assert client.get("/api/me", **bearer(key)).status_code == 200
        assert writes_to_tokens(again.captured_queries) == []
    token.refresh_from_db()
    assert token.last_used_at == stamp
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(seconds=61))
    with CaptureQueriesContext(connection) as later:
        client.get("/api/me", **bearer(key))
    assert len(writes_to_tokens(later.captured_queries)) == 1
