"""The demo generator in-process against the test database (COPY on PostgreSQL, executemany
on SQLite): same seed, same data; rows are what the services would have stored."""

import pytest

from yingke.cli.demo import run_demo
from yingke.core.models import User
from yingke.customers.models import Customer, SearchKey, SpecialDate
from yingke.customers.pinyin import primary_pinyin, search_keys
from yingke.customers.search import search
from yingke.visits.models import Visit


@pytest.fixture(autouse=True)
def demo_home(settings, tmp_path):
    settings.HOME = tmp_path  # demo_logins.json goes here


def fields(code):
    return list(Customer.objects.filter(property__code=code).order_by("customer_code").values_list(
        "customer_code", "name", "mobile", "birth_date", "gender", "id_number_masked", "employer", "kind"))


def test_same_seed_same_data_and_consistent_rows(db, tmp_path):
    first = run_demo(code="T1", customers=300, visits=800, seed=3, password="demo-pass-1")
    run_demo(code="T2", customers=300, visits=800, seed=3, password="demo-pass-1")
    assert (first.customers, first.visits) == (300, 800)
    assert [r[1:] for r in fields("T1")] == [r[1:] for r in fields("T2")]
    t1 = list(Visit.objects.filter(property__code="T1").order_by("doc_no").values_list(
        "doc_no", "occurred_at", "amount", "covers", "occasion"))
    t2 = list(Visit.objects.filter(property__code="T2").order_by("doc_no").values_list(
        "doc_no", "occurred_at", "amount", "covers", "occasion"))
    assert t1 == t2 and len(t1) == 800
    assert (tmp_path / "demo_logins.json").exists()

    for customer in Customer.objects.filter(property__code="T1")[:50]:
        assert customer.name_pinyin == primary_pinyin(customer.name)
        assert customer.mobile_last4 == customer.mobile[-4:]
        stored = set(SearchKey.objects.filter(customer=customer).values_list("kind", "key"))
        assert stored == set(search_keys(customer.name))
    assert SpecialDate.objects.filter(customer__property__code="T1").exists()
    # the search box finds demo guests, within the permission rule
    gm = User.objects.get(username="t1_gm")
    guest = Customer.objects.filter(property__code="T1", kind="person").order_by("customer_code").first()
    hits = [h.customer.pk for h in search(gm, primary_pinyin(guest.name))]
    assert guest.pk in hits
    assert all(c.property.code == "T1" for c in (h.customer for h in search(gm, guest.name)))
    am = User.objects.get(username="t1_am1")
    visible = Customer.objects.visible_to(am)
    assert 0 < visible.count() < 300
    assert set(visible.values_list("owner_id", flat=True)) <= {None, am.pk}


def test_codes_continue_in_an_existing_property(db):
    run_demo(code="T3", customers=20, visits=10, seed=1)
    run_demo(code="T3", customers=5, visits=10, seed=1)
    codes = list(Customer.objects.filter(property__code="T3").order_by("customer_code")
                 .values_list("customer_code", flat=True))
    assert codes[0] == "C0000001" and codes[-1] == "C0000025" and len(codes) == 25
    docs = list(Visit.objects.filter(property__code="T3").values_list("doc_no", flat=True))
    assert len(docs) == len(set(docs)) == 20
