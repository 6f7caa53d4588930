"""The API's search says why it found nothing when a rule held the query back (R-12.1, R-12.2)."""

EN = {"Accept-Language": "en"}


def test_a_mobile_prefix_is_refused_for_masked_roles_and_said_so(world, api_as):
    body = api_as(world.desk).get("/api/customers/search", {"q": "1381234"}, **EN).json()
    assert body["items"] == [] and body["mobile_prefix_refused"] is True and body["notices"]
    body = api_as(world.gm).get("/api/customers/search", {"q": "1381234"}, **EN).json()
    assert [i["customer"]["name"] for i in body["items"]] == ["张三"] and body["mobile_prefix_refused"] is False


def test_id_lookups_beyond_the_hourly_limit_are_said_so(world, api_as, settings):
    settings.ID_LOOKUPS_PER_HOUR = 2
    api = api_as(world.desk)
    for _ in range(2):
        assert api.get("/api/customers/search", {"q": "110105194912310021"}).json()["id_lookup_limited"] is False
    body = api.get("/api/customers/search", {"q": "110105194912310021"}, **EN).json()
    assert body["id_lookup_limited"] is True and body["notices"]
