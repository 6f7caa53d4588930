"""R-12.1, issue 11 point 2: a role that sees mobiles masked (front desk, supervisor) finds a
guest by the full mobile or its last 4 digits only; a prefix finds nothing for it, or it
could spell out the hidden digits. The search function, the search page, the suggestions
and the API all answer the same."""

import pytest
from django.urls import reverse

from tests.api.helpers import ids, token_client
from tests.conftest import make_customer
from yingke.core.permissions import sees_full_mobile
from yingke.customers.search import search

MASKED = ["desk", "sup"]
FULL = ["gm", "sm", "am1"]
PREFIXES = ["13812", "138123", "1381234", "13812345", "138123456", "1381234567", "+86 13812", "8613812345"]
WHOLE = ["13812345678", "138 1234 5678", "+86 138-1234-5678", "008613812345678", "5678"]


@pytest.fixture
def foreign(world):
    return make_customer(world.h1, "HK9", "陈大文", owner=world.am1, mobile="+852 5123 4567")


def test_the_roles_are_the_ones_that_see_masked_mobiles(world):
    assert [r for r in MASKED + FULL if not sees_full_mobile(getattr(world, r))] == MASKED


@pytest.mark.parametrize("role", MASKED)
@pytest.mark.parametrize("q", PREFIXES)
def test_a_prefix_finds_nothing_for_masked_roles(world, role, q):
    assert search(getattr(world, role), q) == []


@pytest.mark.parametrize("role", MASKED + FULL)
@pytest.mark.parametrize("q", WHOLE)
def test_the_full_number_and_the_last_four_find_the_guest_for_every_role(world, role, q):
    assert world.c_am1 in [h.customer for h in search(getattr(world, role), q)]


@pytest.mark.parametrize("role", MASKED)
def test_a_foreign_mobile_only_in_full(world, foreign, role):
    user = getattr(world, role)
    for q in ("+85251234567", "0085251234567", "85251234567", "4567"):
        assert foreign in [h.customer for h in search(user, q)], q
    for q in ("+8525123", "85251234", "852512345"):
        assert foreign not in [h.customer for h in search(user, q)], q


@pytest.mark.parametrize("role", FULL)
def test_roles_that_see_the_number_still_search_by_prefix(world, role):
    assert world.c_am1 in [h.customer for h in search(getattr(world, role), "1381234")]


@pytest.mark.parametrize("role", MASKED)
def test_the_search_page_and_the_suggestions_refuse_prefixes(client, world, role):
    client.cookies["django_language"] = "en"
    client.force_login(getattr(world, role))
    for url in (reverse("search"), reverse("search_suggest")):
        response = client.get(url, {"q": "1381234"})
        assert list(response.context["hits"]) == [], url
        assert "Your role finds a guest by the whole mobile number or its last 4 digits" in response.content.decode()
        hits = client.get(url, {"q": "13812345678"}).context["hits"]
        assert [h.customer for h in hits] == [world.c_am1], url
        body = client.get(url, {"q": "5678"}).content.decode()
        assert "138****5678" in body and "13812345678" not in body, url


@pytest.mark.parametrize("role", MASKED)
def test_the_api_refuses_prefixes(world, role):
    api = token_client(getattr(world, role))
    for path in ("/api/customers/search", "/api/customers"):
        assert ids(api.get(path, {"q": "1381234"})) == set(), path
        assert ids(api.get(path, {"q": "13812345678"})) == {world.c_am1.pk}, path


def test_a_general_manager_is_not_told_about_prefixes(client, world):
    client.cookies["django_language"] = "en"
    client.force_login(world.gm)
    response = client.get(reverse("search"), {"q": "1381234"})
    assert [h.customer for h in response.context["hits"]] == [world.c_am1]
    assert "Your role finds" not in response.content.decode()


def test_the_api_still_serves_prefixes_to_a_general_manager(world):
    assert world.c_am1.pk in ids(token_client(world.gm).get("/api/customers/search", {"q": "1381234"}))
