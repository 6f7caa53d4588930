"""Ids and codes one may not use answer like ids and codes that do not exist (R-1.2): the
control table of a member of staff one does not lead is 404 like an unknown id (pages, export
and API), and the shared pool of a property one does not work at is 404 like an unknown code."""

import pytest

from tests.api.helpers import token_client

MISSING = 999999


@pytest.mark.parametrize("reader, member", [("gm2", "am1"), ("am1", "am2"), ("sm", "am3"), ("desk", "am1"),
                                            ("admin", "am1"), ("gm", "am_h2")])
def test_a_table_one_may_not_read_is_404_like_an_unknown_member(client, world, reader, member):
    user, pk = getattr(world, reader), getattr(world, member).pk
    client.force_login(user)
    for url in ("/control/today/", "/control/today/export.csv"):
        assert client.get(url, {"member": pk}).status_code == 404
        assert client.get(url, {"member": MISSING}).status_code == 404
    api = token_client(user)
    assert api.get("/api/control-table", {"member": pk}).status_code == 404
    assert api.get("/api/control-table", {"member": MISSING}).status_code == 404


def test_ones_own_table_without_one_is_still_403(client, world):
    client.force_login(world.desk)
    assert client.get("/control/today/", {"member": world.desk.pk}).status_code == 403
    assert token_client(world.desk).get("/api/control-table").status_code == 403


@pytest.mark.parametrize("code", ["H2", "NOPE", "x" * 40])
def test_the_pool_of_a_property_one_does_not_work_at_is_404(client, world, code):
    client.force_login(world.am1)
    response = client.get("/control/pool/", {"property": code})
    assert response.status_code == 404
    assert "张珊" not in response.content.decode()


def test_the_pool_of_ones_own_property_by_code(client, world):
    client.force_login(world.am1)
    for code in ("H1", "h1"):
        response = client.get("/control/pool/", {"property": code})
        assert response.status_code == 200 and "李四" in response.content.decode()
