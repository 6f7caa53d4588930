"""Likely duplicates (R-2.8): each reason, Chinese names, only within one property and one
kind, only pairs whose two files the user may see (R-1.2), dismissed pairs not again."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_customer
from yingke.core.permissions import SYSTEM
from yingke.customers import services
from yingke.customers.duplicates import candidate_pairs, dismiss, fold
from yingke.customers.identity import id_check_char
from yingke.customers.models import Customer

ID = "11010119880808002"
ID = ID + id_check_char(ID)


def pairs(user, **kw):
    return {(p.a.customer_code, p.b.customer_code): [code for code, _l in p.reasons]
            for p in candidate_pairs(user, **kw)[:1000]}


@pytest.fixture
def dups(world):
    """Pairs of each reason in H1 (all in the pool unless said), plus look-alikes that are not pairs."""
    w = world
    h1 = w.h1

    def c(code, name, **kw):
        return make_customer(h1, code, name, **kw)

    c("M1", "刘备", mobile="13900000001")
    c("M2", "刘玄德", mobile="139 0000 0001")  # same mobile, written differently
    a = c("I1", "关羽")
    b = c("I2", "关云长", id_type="resident")
    services.save_customer(SYSTEM, a, id_number=ID)
    services.save_customer(SYSTEM, b, id_number=ID)
    c("B1", "张飞", birth_date=dt.date(1980, 5, 1))
    c("B2", "张飞", birth_date=dt.date(1980, 5, 1))
    c("B3", "张飞", birth_date=dt.date(1981, 5, 1))  # same name, another birthday: not with B1/B2
    c("E1", "诸葛亮", employer="蜀汉集团")
    c("E2", "诸葛亮", employer="蜀汉集团")
    c("P1", "张三", employer="迎客科技")
    c("P2", "张珊", employer="迎客科技")  # zhangsan / zhangshan: sounds alike
    c("P3", "章三", employer="迎客科技")  # a homophone: the same pinyin
    c("P4", "张三", employer="别家公司")  # same name, other employer, no birthday: not a pair
    c("X1", "赵云", mobile="13900000009", kind="org")  # an organisation with a person's mobile: not a pair
    c("X2", "赵子龙", mobile="13900000009")
    make_customer(w.h2, "M9", "刘备", mobile="13900000001")  # another property: not a pair
    return w


def test_each_reason_is_found_with_its_reason(dups):
    found = pairs(dups.gm)
    assert found[("M1", "M2")] == ["mobile"]
    assert found[("I1", "I2")] == ["id_number"]
    assert found[("B1", "B2")] == ["name_birth"]
    assert found[("E1", "E2")] == ["name_employer"]
    assert found[("P1", "P2")] == ["pinyin_employer"]
    assert found[("P1", "P3")] == ["pinyin_employer"]
    assert found[("P2", "P3")] == ["pinyin_employer"]
    assert ("B1", "B3") not in found and ("B2", "B3") not in found
    assert not any("P4" in k for k in found)
    assert not any("X1" in k for k in found)  # a person and an organisation
    assert not any("M9" in k for k in found)  # another property
    assert len(found) == 7


def test_a_pair_with_several_reasons_is_listed_once(dups):
    w = dups
    make_customer(w.h1, "S1", "孙权", mobile="13900000077", employer="东吴", birth_date=dt.date(1982, 1, 1))
    make_customer(w.h1, "S2", "孙权", mobile="13900000077", employer="东吴", birth_date=dt.date(1982, 1, 1))
    found = pairs(w.gm)
    assert found[("S1", "S2")] == ["mobile", "name_birth", "name_employer"]
    assert pairs(w.gm, reason="name_birth").keys() == {("B1", "B2"), ("S1", "S2")}


def test_counts_per_reason_and_filter(dups):
    pp = candidate_pairs(dups.gm)
    assert pp.counts_by_reason() == {"mobile": 1, "id_number": 1, "name_birth": 1, "name_employer": 1,
                                     "pinyin_employer": 3}
    assert pp.count() == 7
    assert set(pairs(dups.gm, reason="pinyin_employer")) == {("P1", "P2"), ("P1", "P3"), ("P2", "P3")}
    assert candidate_pairs(dups.gm, reason="mobile").count() == 1


def test_sounds_alike_key():
    assert fold("zhangsan") == fold("zhangshan") == fold("zansan")
    assert fold("liuna") == fold("niuna")
    assert fold("zhangwei") != fold("zhangwen")


def test_only_pairs_whose_two_files_the_user_sees(dups):
    w = dups
    m1 = Customer.objects.get(property=w.h1, customer_code="M1")
    m1.owner = w.am2
    m1.save()
    # am1 sees M2 (pool) but not M1 (am2's): no pair, not even a hint.
    assert ("M1", "M2") not in pairs(w.am1)
    assert ("M1", "M2") in pairs(w.am2)
    assert ("M1", "M2") in pairs(w.sm)  # am2 is in sm's team
    assert ("M1", "M2") not in pairs(w.am3)
    assert pairs(w.admin) == {}
    assert pairs(w.gm2) == {}  # H2 has no pair


def test_front_desk_sees_the_pairs_with_masked_mobiles(dups, client):
    """Masked roles see the list (a receptionist may notice a pair) but masked values only."""
    client.force_login(dups.desk)
    page = client.get("/duplicates/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "刘玄德" in text and "139****0001" in text and "13900000001" not in text
    # no ID at all: the pair found only by its ID number is not listed to masked roles
    assert ID not in text and "1101**" not in text and ID[-4:] not in text
    assert "/duplicates/merge/" not in text  # they cannot merge
    client.force_login(dups.gm)
    text = client.get("/duplicates/").content.decode()
    assert "13900000001" in text and "/duplicates/merge/" in text


def test_dismissed_pairs_are_not_proposed_again(dups):
    w = dups
    m1, m2 = (Customer.objects.get(property=w.h1, customer_code=c) for c in ("M2", "M1"))
    dismiss(w.gm, m1, m2)  # in either order
    assert ("M1", "M2") not in pairs(w.gm)
    assert ("M1", "M2") not in pairs(w.am1)
    assert candidate_pairs(w.gm).counts_by_reason()["mobile"] == 0
    dismiss(w.gm, m2, m1)  # twice is fine


def test_the_list_is_computed_in_a_few_queries(dups):
    w = dups
    for i in range(30):
        make_customer(w.h1, f"Q{i}", "周瑜", mobile="13900000055")
    with CaptureQueriesContext(connection) as ctx:
        pp = candidate_pairs(w.gm)
        page = pp[0:25]
        pp.count()
        pp.counts_by_reason()
    assert len(page) == 25
    assert pp.count() == 7 + 30 * 29 // 2
    assert len(ctx.captured_queries) <= 8, [q["sql"][:80] for q in ctx.captured_queries]


def test_paging_goes_through_every_pair_once(dups):
    w = dups
    for i in range(12):
        make_customer(w.h1, f"Z{i}", "周瑜", mobile="13900000066")
    pp = candidate_pairs(w.gm)
    seen = []
    for start in range(0, pp.count(), 10):
        seen += [(p.a.pk, p.b.pk) for p in pp[start:start + 10]]
    assert len(seen) == len(set(seen)) == pp.count() == 7 + 66


def test_a_huge_list_is_capped_newest_first(dups, monkeypatch):
    from yingke.customers import duplicates

    monkeypatch.setattr(duplicates, "CAP", 3)
    pp = candidate_pairs(dups.gm)
    assert pp.count() == 3 and pp.capped
    newest = max(Customer.objects.filter(property=dups.h1).values_list("pk", flat=True).filter(customer_code="P3"))
    assert pp[0:1][0].b.pk == newest
