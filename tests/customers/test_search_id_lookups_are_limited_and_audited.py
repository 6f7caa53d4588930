"""R-12.1, R-12.2, issue 11 point 11: exact ID-number lookups in the search box are audited
(never with the number) and limited per user and hour, counted in the database, so that
a masked ID plus the birth date on the file cannot be turned back into the number by
trying the few candidates one search at a time."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.api.helpers import ids, token_client
from tests.conftest import make_customer
from yingke.core.models import AuditEvent
from yingke.core.permissions import SYSTEM
from yingke.customers.identity import id_check_char
from yingke.customers.search import ID_LOOKUP, id_lookups_per_hour, search
from yingke.customers.services import save_customer

LIMIT = 5
RID17 = "44030419900307123"
RID = RID17 + id_check_char(RID17)


@pytest.fixture(autouse=True)
def limit(settings):
    settings.ID_LOOKUPS_PER_HOUR = LIMIT


@pytest.fixture
def guest(world):
    return save_customer(SYSTEM, make_customer(world.h1, "ID1", "解缙", id_type="resident"), id_number=RID)


def candidates(n=10) -> list[str]:
    """What the penetration test did: the region's first four digits and the last four
    characters as the old mask showed them, the birth date from the file; the two unknown
    digits leave about nine numbers with the right check digit. The real one comes last."""
    found = []
    for unknown in range(100):
        first17 = RID[:4] + f"{unknown:02d}" + RID[6:17]
        if id_check_char(first17) == RID[17] and first17 + RID[17] != RID:
            found.append(first17 + RID[17])
    for unknown in range(100):  # more guesses: the county digits of the region instead
        first17 = RID[:2] + f"{unknown:02d}" + RID[4:17]
        if id_check_char(first17) == RID[17] and first17 + RID[17] not in found + [RID]:
            found.append(first17 + RID[17])
    return found[: n - 1] + [RID]


def events(user):
    return list(AuditEvent.objects.filter(user=user, action=ID_LOOKUP).order_by("id"))


def test_ten_candidates_confirm_no_more_than_the_limit(world, guest):
    guesses = candidates()
    assert len(guesses) == 10 and len(set(guesses)) == 10 and {g[6:14] for g in guesses} == {"19900307"}
    answers = [search(world.desk, g) for g in guesses]
    assert [a.id_lookup_limited for a in answers] == [False] * LIMIT + [True] * (10 - LIMIT)
    assert not any(h.reason == "id" for a in answers for h in a)  # the real one came after the limit
    rows = events(world.desk)
    assert len(rows) == 10  # every attempt is audited, refused ones too
    assert [r.details["limited"] for r in rows] == [False] * LIMIT + [True] * (10 - LIMIT)
    assert all(r.details["matched"] is False and r.details["customer_ids"] == [] for r in rows[:-1])
    # The refused last guess was the real number: the user was not told, the audit says so.
    assert rows[-1].details == {"matched": True, "customer_ids": [guest.pk], "limited": True}
    stored = json.dumps([[r.target, r.username, r.details] for r in rows])
    assert not any(g in stored or g[:17] in stored for g in guesses)  # never the number


def test_a_lookup_within_the_limit_is_audited_with_the_customer_found(world, guest):
    hits = search(world.sup, RID)
    assert [(h.customer, h.reason) for h in hits] == [(guest, "id")] and not hits.id_lookup_limited
    (row,) = events(world.sup)
    assert row.details == {"matched": True, "customer_ids": [guest.pk], "limited": False}
    assert row.rows == 1 and row.username == "sup"


def test_the_limit_is_per_user_and_per_hour(world, guest):
    for g in candidates()[:LIMIT]:
        search(world.desk, g)
    assert search(world.desk, RID).id_lookup_limited
    assert [h.customer for h in search(world.sup, RID)] == [guest]  # another user has their own
    AuditEvent.objects.filter(user=world.desk).update(at=timezone.now() - dt.timedelta(minutes=61))
    assert [h.customer for h in search(world.desk, RID)] == [guest]  # an hour later


def test_the_limit_applies_to_every_role(world, guest):
    for g in candidates()[:LIMIT]:
        search(world.gm, g)
    assert search(world.gm, RID).id_lookup_limited and search(world.gm, RID) == []


def test_the_default_limit_is_twenty_an_hour(world, settings):
    del settings.ID_LOOKUPS_PER_HOUR
    assert id_lookups_per_hour() == 20


@pytest.mark.parametrize("q", ["13812345678", "+86 138 1234 5678", "1381234", "5678", "张三", "zhangsan",
                               "C001", "VIPCARD8", "ZHANGSANFENG", "4403"])
def test_searches_that_are_not_id_lookups_are_neither_audited_nor_counted(world, q):
    make_customer(world.h1, "CARD", "卡主", card_no="VIPCARD8")
    search(world.desk, q)
    assert events(world.desk) == []


def test_suggestions_while_typing_count_only_a_complete_id(client, world, guest):
    client.force_login(world.desk)
    for n in range(5, 18):  # the ID typed a character at a time
        client.get(reverse("search_suggest"), {"q": RID[:n]})
    assert events(world.desk) == []
    hits = client.get(reverse("search_suggest"), {"q": RID}).context["hits"]
    assert [h.customer for h in hits] == [guest] and len(events(world.desk)) == 1


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"


def test_the_search_page_and_suggestions_say_that_id_lookups_are_limited(client, world, guest, english):
    for g in candidates()[:LIMIT]:
        search(world.desk, g)
    client.force_login(world.desk)
    for url in (reverse("search"), reverse("search_suggest")):
        response = client.get(url, {"q": RID})
        body = response.content.decode()
        assert response.status_code == 200 and list(response.context["hits"]) == []
        assert f"ID numbers can be looked up {LIMIT} times an hour and you have reached that limit" in body, url
    body = client.get(reverse("search"), {"q": "zhangsan"}).content.decode()
    assert "times an hour" not in body  # only when an ID was not looked up


@pytest.mark.parametrize("path", ["/api/customers/search", "/api/customers"])
def test_the_api_counts_and_limits_id_lookups_too(world, guest, path):
    api = token_client(world.desk)
    for g in candidates()[:LIMIT]:
        assert ids(api.get(path, {"q": g})) == set()
    assert ids(api.get(path, {"q": RID})) == set()  # over the limit: not confirmed
    assert len(events(world.desk)) == LIMIT + 1
    assert ids(token_client(world.sup).get(path, {"q": RID})) == {guest.pk}
