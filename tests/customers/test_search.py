"""R-2.7: one search box — mobile (full or last 4), name, pinyin, initials, every reading
of polyphonic characters, ID number, card number; best match first; R-1.2 applies."""

import pytest

from tests.conftest import make_customer
from yingke.core.permissions import SYSTEM
from yingke.customers.identity import id_check_char
from yingke.customers.search import search


def names(hits):
    return [h.customer.name for h in hits]


@pytest.fixture
def guests(world):
    h1 = world.h1
    rid = "44030419900307123"
    rid += id_check_char(rid)
    g = {
        "zhangsan": world.c_am1,  # 张三, owned by am1
        "zhangshan": make_customer(h1, "C010", "张山", owner=world.am1, mobile="15012345678"),
        "zhusan": make_customer(h1, "C011", "朱珊珊", owner=world.am1),
        "shan": world.c_am2,  # 单田芳
        "zeng": world.c_am3,  # 曾国藩
        "xie": make_customer(h1, "C012", "解缙", owner=world.am1, id_type="resident"),
        "ouyang": make_customer(h1, "C013", "欧阳振华", owner=world.am1, card_no="vip-8888"),
        "john": make_customer(h1, "C014", "John Smith", owner=world.am1),
    }
    from yingke.customers.services import save_customer

    g["xie"] = save_customer(SYSTEM, g["xie"], id_number=rid)
    g["rid"] = rid
    return g


def test_initials_find_zhang_san_first(world, guests):
    hits = search(world.gm, "zs")
    assert names(hits)[0] == "张三"
    assert "张山" in names(hits)  # zs as well
    assert hits[0].reason == "initials"


def test_full_pinyin_exact_before_prefix(world, guests):
    assert names(search(world.gm, "zhangsan")) == ["张三"]
    hits = names(search(world.gm, "zhang"))
    assert set(hits) >= {"张三", "张山"}
    assert names(search(world.gm, "ZHANG SAN")) == ["张三"]


@pytest.mark.parametrize("query", ["shantianfang", "dantianfang", "stf", "dtf"])
def test_every_reading_of_dan_shan(world, guests, query):
    assert names(search(world.gm, query))[0] == "单田芳"


def test_surname_reading_ranks_above_other_reading(world, guests):
    hit = search(world.gm, "shantianfang")[0]
    other = search(world.gm, "dantianfang")[0]
    assert hit.score > other.score


@pytest.mark.parametrize("query", ["zengguofan", "cengguofan", "zgf", "xiejin", "jiejin", "oyzh", "ouyang", "js",
                                   "johnsmith"])
def test_polyphonic_and_compound_surnames(world, guests, query):
    expected = {"zengguofan": "曾国藩", "cengguofan": "曾国藩", "zgf": "曾国藩", "xiejin": "解缙", "jiejin": "解缙",
                "oyzh": "欧阳振华", "ouyang": "欧阳振华", "js": "John Smith", "johnsmith": "John Smith"}[query]
    assert names(search(world.gm, query))[0] == expected


def test_chinese_name_exact_prefix_and_contains(world, guests):
    assert names(search(world.gm, "张三")) == ["张三"]
    assert names(search(world.gm, "张"))[:2] == ["张三", "张山"]
    assert "朱珊珊" in names(search(world.gm, "珊"))


def test_mobile_full_last4_and_formats(world, guests):
    assert names(search(world.gm, "13812345678")) == ["张三"]
    assert names(search(world.gm, "+86 138 1234 5678")) == ["张三"]
    assert names(search(world.gm, "5678")) == ["张三", "张山"]  # both end in 5678, shorter name first
    assert search(world.gm, "5678")[0].reason == "mobile_last4"


def test_id_number_exact_only(world, guests):
    assert names(search(world.gm, guests["rid"])) == ["解缙"]
    assert names(search(world.gm, guests["rid"].lower())) == ["解缙"]
    assert search(world.gm, guests["rid"][:-1]) == []


def test_card_number_and_customer_code(world, guests):
    assert names(search(world.gm, "VIP-8888")) == ["欧阳振华"]
    assert names(search(world.gm, "c013")) == ["欧阳振华"]


def test_search_respects_the_permission_rule(world, guests):
    # am2 sees own (单田芳) and the pool (李四) only.
    assert search(world.am2, "zs") == []
    assert names(search(world.am2, "shantianfang")) == ["单田芳"]
    assert names(search(world.am2, "lisi")) == ["李四"]
    # H2's 张珊 (zs) is invisible to H1's general manager, visible to H2's.
    assert "张珊" not in names(search(world.gm, "zs"))
    assert names(search(world.gm2, "zs")) == ["张珊"]
    assert search(world.admin, "zs") == []
    assert search(world.desk, "13812345678")[0].customer == world.c_am1


def test_empty_and_junk_queries(world, guests):
    assert search(world.gm, "") == []
    assert search(world.gm, "   ") == []
    assert search(world.gm, "%_'\"") == []


def test_frequent_guest_first_among_equal_matches(world, guests):
    from decimal import Decimal

    from django.utils import timezone

    from yingke.visits.models import Visit

    zeng = make_customer(world.h1, "C020", "曾帅", owner=world.am1)  # also "zs", same length

    def visit(customer, n):
        for _ in range(n):
            Visit.objects.create(property=world.h1, customer=customer, occurred_at=timezone.now(),
                                 amount=Decimal("88.00"))

    visit(world.c_am1, 1)
    assert names(search(world.gm, "zs"))[:2] == ["张三", "曾帅"]
    visit(zeng, 3)
    assert names(search(world.gm, "zs"))[:2] == ["曾帅", "张三"]  # the regular guest comes first


def test_every_exact_match_is_ranked_not_just_the_first_chunk(world):
    from yingke.customers.models import Customer, SearchKey
    from yingke.customers.pinyin import search_keys

    others = Customer.objects.bulk_create(
        Customer(property=world.h1, customer_code=f"Z{i:04d}", name="周顺", name_pinyin="zhoushun")
        for i in range(450))
    SearchKey.objects.bulk_create(SearchKey(customer=c, property=world.h1, kind=k, key=key)
                                  for c in others for k, key in search_keys(c.name))
    # A file made after 450 others with the same key is still found and, with the most
    # visits, ranked first.
    from decimal import Decimal

    from django.utils import timezone

    from yingke.visits.models import Visit

    late = make_customer(world.h1, "ZLAST", "张书")  # "zs", made after the 450 others
    for c in (late, late, world.c_am1):
        Visit.objects.create(property=world.h1, customer=c, occurred_at=timezone.now(), amount=Decimal("1"))
    assert names(search(world.gm, "zs", limit=8))[:2] == ["张书", "张三"]


def test_foreign_mobile_by_full_number(world):
    c = make_customer(world.h1, "HK1", "陈大文", mobile="+852 5123 4567")
    for q in ["+85251234567", "0085251234567", "85251234567", "4567"]:
        assert c in [h.customer for h in search(world.gm, q)], q


@pytest.mark.parametrize("query", ["张\U0010ffff", "张\x00", "\x00", "z\U0010ffff\U0010ffff", "😀"])
def test_odd_characters_do_not_break_search(world, guests, query):
    assert isinstance(search(world.gm, query), list)
