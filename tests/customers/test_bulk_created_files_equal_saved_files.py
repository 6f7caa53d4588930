"""A file made by customers.bulk.create_many is indistinguishable from one made by
services.save_customer (+ add_tags): every column, the search keys of every kind, the
history records and their tags (R-2.7, R-2.9, R-12.1, R-12.3, R-3.2)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yingke.core.permissions import SYSTEM
from yingke.customers import bulk, services
from yingke.customers.identity import id_check_char
from yingke.customers.models import Customer, SearchKey, Tag

GOOD_ID = "11010519850612003" + id_check_char("11010519850612003")  # a man born 1985-06-12
WOMAN_ID = "44030519920304002" + id_check_char("44030519920304002")

# (fields, id_number, tag names): what an import row or a form would give.
CASES = [
    (dict(name="单田芳", mobile="138 1234 0009", employer="迎客科技", card_no="vip-01"), GOOD_ID, ["VIP", "常客"]),
    (dict(name="曾 国藩", mobile="+86 139-1234-5678", email="zeng@example.com"), None, []),
    (dict(name="欧阳娜娜", mobile="0085291234567", gender="F", birth_date=dt.date(1992, 3, 4)), WOMAN_ID, ["宴会"]),
    (dict(name="John Smith", mobile="", nationality="英国", id_type="passport"), "e1234567", []),
    (dict(name="迎客集团", kind="org", gender="M", nature="soe", business="酒店"), None, ["协议客户"]),
    (dict(name="长孙无忌", mobile="17712345678", job_title="总经理", marital_status="married"), "", []),
]
SKIP = {"id", "customer_code", "id_number_enc", "created_at", "updated_at"}


def saved(actor, prop, code, fields, id_number, tag_names, owner):
    c = Customer(property=prop, customer_code=code, owner=owner, **fields)
    c._change_reason = "import a.csv line 2"
    services.save_customer(actor, c, id_number=services.UNCHANGED if id_number is None else id_number)
    if tag_names:
        services.add_tags(actor, c, [Tag.objects.get_or_create(property=prop, name=n)[0] for n in tag_names])
    return c


def made_in_bulk(actor, prop, codes, cases, owner):
    customers, tags = [], []
    for code, (fields, id_number, tag_names) in zip(codes, cases, strict=True):
        c = bulk.new_customer(property=prop, customer_code=code, owner=owner, **fields)
        c._change_reason = "import a.csv line 2"
        assert bulk.check_new(actor, c, id_number) == []
        customers.append(c)
        tags.append([Tag.objects.get_or_create(property=prop, name=n)[0] for n in tag_names])
    return bulk.create_many(actor, customers, reason="import a.csv", tags=tags)


def columns(c):
    row = Customer.objects.filter(pk=c.pk).values().get()
    return {k: v for k, v in row.items() if k not in SKIP}


def keys(c):
    return sorted(SearchKey.objects.filter(customer=c).values_list("kind", "key", "property_id"))


def history(c):
    out = []
    for h in c.history.order_by("history_id"):
        values = {f.attname: getattr(h, f.attname) for f in type(h).tracked_fields if f.attname not in SKIP}
        out.append((h.history_type, h.history_user_id, h.history_change_reason, values,
                    sorted(h.tags.values_list("tag_id", flat=True))))
    return out


@pytest.mark.parametrize("actor_name", ["gm", "system"])
def test_bulk_files_equal_saved_files(world, actor_name):
    actor = SYSTEM if actor_name == "system" else world.gm
    owner = world.am1
    one_by_one = [saved(actor, world.h1, f"S{i}", *case, owner) for i, case in enumerate(CASES)]
    in_bulk = made_in_bulk(actor, world.h1, [f"B{i}" for i in range(len(CASES))], CASES, owner)
    for a, b in zip(one_by_one, in_bulk, strict=True):
        assert b.pk is not None and not b._state.adding
        assert columns(b) == columns(a)
        assert services.id_number_of(Customer.objects.get(pk=b.pk)) == services.id_number_of(a)
        assert keys(b) == keys(a) and keys(a)
        assert history(b) == history(a)
        assert sorted(b.tags.values_list("name", flat=True)) == sorted(a.tags.values_list("name", flat=True))
        stored = Customer.objects.get(pk=b.pk)
        assert stored.created_at == b.created_at and stored.updated_at is not None
    made = Customer.objects.get(customer_code="B0")
    assert made.created_by == (world.gm if actor_name == "gm" else None)
    assert (made.mobile, made.mobile_last4, made.card_no) == ("13812340009", "0009", "VIP-01")
    assert made.name_pinyin == "shantianfang" and (made.birth_date, made.gender) == (dt.date(1985, 6, 12), "M")
    assert Customer.objects.get(customer_code="B4").gender == ""  # an organisation has none


def test_new_ids_follow_the_highest_ever_used(world):
    """A merged-away (deleted) file's id never comes back: its history and merge record name it."""
    last = services.save_customer(SYSTEM, Customer(property=world.h1, customer_code="GONE", name="王五"))
    gone = last.pk
    last.delete()
    [c] = bulk.create_many(SYSTEM, [bulk.new_customer(property=world.h1, customer_code="NEW", name="赵六")],
                           reason="test")
    assert c.pk > gone


def test_files_without_a_code_get_fresh_distinct_codes(world):
    made = bulk.create_many(SYSTEM, [bulk.new_customer(property=world.h1, name=f"客人{i}") for i in range(50)],
                            reason="test")
    codes = [c.customer_code for c in made]
    assert len(set(codes)) == 50 and all(c.startswith("G") and len(c) == 12 for c in codes)
    assert Customer.objects.filter(customer_code__in=codes).count() == 50


def test_check_new_reports_what_save_customer_refuses(world):
    cases = [
        (dict(name="", mobile="1381234"), None),
        (dict(name="张三", email="not-an-email", birth_date=dt.date(2999, 1, 1)), None),
        (dict(name="张三", gender="X", marital_status="?", kind="robot"), None),
        (dict(name="张" * 101, card_no="x" * 31, job_title="y" * 51), None),
        (dict(name="张三", birth_date=dt.date(1985, 6, 13)), GOOD_ID[:-1] + "0"),
        (dict(name="张三"), "12345"),
        (dict(name="张三", id_type="passport"), "护照!"),
    ]
    for i, (fields, id_number) in enumerate(cases):
        a = Customer(property=world.h1, customer_code=f"A{i}", **fields)
        with pytest.raises(ValidationError) as refused:
            services.save_customer(world.gm, a, id_number=services.UNCHANGED if id_number is None else id_number)
        expected = sorted((f, m) for f, msgs in refused.value.message_dict.items() for m in msgs)
        b = bulk.new_customer(property=world.h1, customer_code=f"B{i}", **fields)
        assert sorted(bulk.check_new(world.gm, b, id_number)) == expected, fields
    assert not Customer.objects.filter(customer_code__regex=r"^[AB]\d$").exists()


def test_owner_rules_are_those_of_save_customer(world):
    """An account manager may make only themself the owner (R-6.1), remembered per owner."""
    memo = {}
    for owner, ok in ((world.am2, False), (world.am1, True), (world.am2, False)):
        c = bulk.new_customer(property=world.h1, customer_code="O1", name="王五", owner=owner)
        problems = bulk.check_new(world.am1, c, owners=memo)
        assert (problems == []) == ok
        if not ok:
            assert problems[0][0] == "owner"
    with pytest.raises(ValidationError):
        bulk.create_many(world.am1, [bulk.new_customer(property=world.h1, customer_code="O2", name="王五",
                                                       owner=world.am2)], reason="test")
    assert not Customer.objects.filter(customer_code__in=["O1", "O2"]).exists()


def test_permissions_are_asked_once_per_call(world):
    with pytest.raises(PermissionDenied):  # the supervisor may not open files
        bulk.create_many(world.sup, [bulk.new_customer(property=world.h1, customer_code="P1", name="王五")],
                         reason="test")
    with pytest.raises(PermissionDenied):  # gm2 works at H2 only
        bulk.create_many(world.gm2, [bulk.new_customer(property=world.h1, customer_code="P2", name="王五")],
                         reason="test")
    tag = Tag.objects.create(property=world.h1, name="VIP")
    with pytest.raises(PermissionDenied):  # the front desk opens files but may not change them (add tags)
        bulk.create_many(world.desk, [bulk.new_customer(property=world.h1, customer_code="P3", name="王五")],
                         reason="test", tags=[[tag]])
    [c] = bulk.create_many(world.desk, [bulk.new_customer(property=world.h1, customer_code="P4", name="王五")],
                           reason="test")
    assert c.created_by == world.desk and c.owner is None
    assert not Customer.objects.filter(customer_code__in=["P1", "P2", "P3"]).exists()
