"""The search box (R-2.7) through the UI: results page and live suggestions, under R-1.2."""

import pytest
from django.urls import reverse

from tests.conftest import make_customer

SEARCH = reverse("search")
SUGGEST = reverse("search_suggest")


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


def names(response):
    return [h.customer.name for h in response.context["hits"]]


def test_initials_find_zhang_san_first_and_say_why(client, world):
    make_customer(world.h1, "C010", "张山", owner=world.am1)
    client.force_login(world.gm)
    response = client.get(SEARCH, {"q": "zs"})
    assert response.status_code == 200
    assert names(response)[0] == "张三" and "张山" in names(response)
    assert response.context["hits"][0].reason_label == "pinyin initials"
    assert "pinyin initials" in response.content.decode()


@pytest.mark.parametrize("q, reason", [("13812345678", "mobile"), ("5678", "last 4 digits of mobile"),
                                       ("张三", "name"), ("zhangsan", "pinyin"), ("C001", "card number or customer code")])
def test_reasons(client, world, q, reason):
    client.force_login(world.gm)
    hit = client.get(SEARCH, {"q": q}).context["hits"][0]
    assert hit.customer == world.c_am1 and hit.reason_label == reason


def test_search_respects_the_rule(client, world):
    client.force_login(world.am1)
    assert names(client.get(SEARCH, {"q": "shan"})) == []  # 单田芳 is am2's
    assert names(client.get(SEARCH, {"q": "zs"})) == ["张三"]  # not H2's 张珊
    client.force_login(world.admin)
    assert names(client.get(SEARCH, {"q": "zs"})) == []


def test_empty_and_silly_queries(client, world):
    client.force_login(world.gm)
    assert client.get(SEARCH).context["hits"] == []
    response = client.get(SEARCH, {"q": "x" * 500 + "'; drop table"})
    assert response.status_code == 200 and response.context["hits"] == []
    assert "No guest found" in response.content.decode()


def test_suggest_is_a_fragment_with_masked_mobiles_for_the_desk(client, world):
    client.force_login(world.desk)
    response = client.get(SUGGEST, {"q": "zs"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "张三" in body and "138****5678" in body and "13812345678" not in body
    assert reverse("customers:detail", args=[world.c_am1.pk]) in body


def test_suggest_is_limited(client, world):
    for i in range(12):
        make_customer(world.h1, f"Z{i:02d}", f"张{'一二三四五六七八九十甲乙'[i]}生")
    client.force_login(world.gm)
    assert len(client.get(SUGGEST, {"q": "zh"}).context["hits"]) == 8
    assert client.get(SUGGEST, {"q": ""}).content.strip() == b""


def test_search_needs_login(client, world):
    assert client.get(SEARCH, {"q": "zs"}).status_code == 302
    assert client.get(SUGGEST, {"q": "zs"}).status_code == 302
