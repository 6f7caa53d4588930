"""R-2.7, issue 11 point 10: a Chinese name typed or stored with spaces (毛 子轩, 曾　芳 with
a full-width space, several spaces) is the same name to the search box; spaces between
latin words still separate them."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from tests.conftest import make_customer
from yingke.customers.models import SearchKey
from yingke.customers.pinyin import name_key
from yingke.customers.search import search


def names(hits):
    return [h.customer.name for h in hits]


@pytest.fixture
def guests(world):
    return {
        "mao": make_customer(world.h1, "S001", "毛子轩"),
        "zeng": make_customer(world.h1, "S002", "曾芳"),
        "stored_spaced": make_customer(world.h1, "S003", "欧阳 振华"),  # as another system stores it
        "full_width": make_customer(world.h1, "S004", "司马\u3000光"),
        "john": make_customer(world.h1, "S005", "John  Smith"),
    }


@pytest.mark.parametrize("query, expected", [
    ("毛 子轩", "毛子轩"), ("毛子 轩", "毛子轩"), ("毛\u3000子轩", "毛子轩"), ("毛   子轩", "毛子轩"),
    (" 毛 子 轩 ", "毛子轩"), ("毛\u200b子轩", "毛子轩"), ("毛\u00a0子轩", "毛子轩"),
    ("曾 芳", "曾芳"), ("曾\u3000芳", "曾芳"),
])
def test_a_name_typed_with_spaces_finds_the_guest(world, guests, query, expected):
    hits = search(world.desk, query)
    assert names(hits)[:1] == [expected]
    assert hits[0].reason == "name" and hits[0].score == 100  # an exact match of the whole name


@pytest.mark.parametrize("query", ["欧阳振华", "欧阳 振华", "欧阳  振 华", "欧阳", "振华", "ouyangzhenhua", "oyzh"])
def test_a_name_stored_with_a_space_is_found_with_or_without_it(world, guests, query):
    assert names(search(world.gm, query))[:1] == ["欧阳 振华"]  # the file keeps the name as given


@pytest.mark.parametrize("query", ["司马光", "司马 光", "司马\u3000光", "smg"])
def test_a_full_width_space_in_a_stored_name_is_no_obstacle(world, guests, query):
    assert names(search(world.gm, query))[:1] == ["司马 光"]  # stored with an ordinary space (NFKC)


def test_latin_words_stay_words(world, guests):
    assert name_key("John  Smith") == "john smith" and name_key("毛 子轩") == "毛子轩"
    assert names(search(world.gm, "john smith")) == ["John Smith"]
    assert names(search(world.gm, "smith")) == ["John Smith"]
    keys = set(SearchKey.objects.filter(customer=guests["john"]).values_list("key", flat=True))
    assert "john smith" in keys and "johnsmith" in keys


def test_the_search_page_and_suggestions_find_a_spaced_name(client, world, guests):
    client.force_login(world.desk)
    for url in (reverse("search"), reverse("search_suggest")):
        hits = client.get(url, {"q": "毛 子轩"}).context["hits"]
        assert [h.customer for h in hits][:1] == [guests["mao"]], url


def test_the_data_migration_rebuilds_the_keys_of_names_stored_with_spaces(world):
    """Files indexed before this change have "欧阳 振华" as their name key."""
    spaced = make_customer(world.h1, "S010", "毛 子轩")
    plain = make_customer(world.h1, "S011", "张三丰")
    SearchKey.objects.filter(customer=spaced, kind=SearchKey.Kind.NAME).update(key="毛 子轩")  # the old key
    plain_keys = list(SearchKey.objects.filter(customer=plain).order_by("id").values_list("id", "key"))
    assert search(world.gm, "毛子轩") == []

    migration = importlib.import_module("yingke.customers.migrations.0003_rebuild_search_keys_of_spaced_chinese_names")
    migration.rebuild(apps, None)

    assert names(search(world.gm, "毛子轩")) == ["毛 子轩"]
    assert names(search(world.gm, "毛 子轩")) == ["毛 子轩"]
    assert list(SearchKey.objects.filter(customer=plain).order_by("id").values_list("id", "key")) == plain_keys
