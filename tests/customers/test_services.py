"""Guest file services: R-2.1, R-2.2, R-2.9, R-12.1 (ID encrypted, blind index, masked),
R-12.3 (history: who, when, before, after), R-12.4 (bad input changes nothing)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.conftest import make_customer
from yingke.customers import crypto
from yingke.customers.identity import id_check_char
from yingke.customers.models import ContactLink, Customer, Note, Preference, SearchKey
from yingke.customers.services import (
    add_note,
    add_preference,
    id_number_of,
    link_contact,
    save_customer,
    tags_from_names,
)

RID = "11010519880412123"
RID += id_check_char(RID)


def test_id_number_is_encrypted_at_rest_indexed_and_masked(world):
    c = save_customer(world.am1, Customer(property=world.h1, customer_code="X1", name="王五"), id_number=RID)
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM customers_customer WHERE id = %s", [c.id])
        row = " ".join(str(v) for v in cur.fetchone())
    assert RID not in row and RID[:14] not in row  # never stored in clear
    assert c.id_number_masked == "1101**********" + RID[-4:]
    assert c.id_number_hash == crypto.blind_index(RID)
    assert id_number_of(Customer.objects.get(pk=c.pk)) == RID
    assert Customer.objects.filter(id_number_hash=crypto.blind_index(RID)).get() == c


def test_birth_date_and_gender_read_from_the_id(world):
    c = save_customer(world.am1, Customer(property=world.h1, customer_code="X2", name="王六", gender="F"),
                      id_number=RID)
    assert str(c.birth_date) == "1988-04-12"
    assert c.gender == "M"  # 17th digit 3 is odd; the ID wins over what was typed
    assert c.id_type == Customer.IdType.RESIDENT


def test_mobile_normalised_and_last4(world):
    c = make_customer(world.h1, "X3", "赵七", mobile="+86 139-0000-1111")
    assert (c.mobile, c.mobile_last4) == ("13900001111", "1111")


def test_bad_input_reports_every_field_and_changes_nothing(world):
    before = Customer.objects.count(), SearchKey.objects.count(), Customer.history.count()
    with pytest.raises(ValidationError) as exc:
        save_customer(world.am1, Customer(property=world.h1, customer_code="X4", name="",
                                          mobile="12345", email="not-an-email"), id_number=RID[:-1] + "0")
    errors = exc.value.message_dict
    assert set(errors) >= {"name", "mobile", "email", "id_number"}
    assert (Customer.objects.count(), SearchKey.objects.count(), Customer.history.count()) == before


def test_customer_code_unique_per_property_only(world):
    make_customer(world.h2, "C002", "同号不同店")  # C002 exists in H1, fine in H2
    with pytest.raises(ValidationError) as exc:
        make_customer(world.h1, "c002", "重复编号")  # normalised to upper case, clashes
    assert "customer_code" in exc.value.message_dict


def test_code_generated_when_missing(world):
    c = save_customer(world.desk, Customer(property=world.h1, name="散客"))
    assert c.customer_code.startswith("G") and len(c.customer_code) == 12


def test_every_change_is_recorded_with_who_before_after(world):
    c = world.c_am1
    c.mobile, c.employer = "13800000000", "迎客集团"
    save_customer(world.am1, c)
    records = list(Customer.history.filter(id=c.id).order_by("history_date", "history_id"))
    assert [r.history_type for r in records] == ["+", "~"]
    new, old = records[-1], records[-2]
    assert new.history_user == world.am1
    delta = {ch.field: (ch.old, ch.new) for ch in new.diff_against(old).changes}
    assert delta["mobile"] == ("13812345678", "13800000000")
    assert delta["employer"] == ("", "迎客集团")


def test_id_change_recorded_masked_only(world):
    c = save_customer(world.am1, world.c_am1, id_number=RID)
    rec = Customer.history.filter(id=c.id).latest("history_date")
    assert rec.id_number_masked.startswith("1101****")
    assert not hasattr(rec, "id_number_enc")


def test_tags_are_history_tracked(world):
    c = world.c_am1
    save_customer(world.am1, c, tags=tags_from_names(world.h1, ["VIP", "  素食 "]))
    assert sorted(c.tags.values_list("name", flat=True)) == ["VIP", "素食"]
    assert Customer.history.filter(id=c.id).count() >= 2


def test_preferences_notes_contacts(world):
    c = world.c_am1
    p = add_preference(world.desk, c, Preference.Category.PILLOW, "  低枕 ")
    assert p.value == "低枕" and p.history.get().history_user == world.desk
    with pytest.raises(ValidationError):
        add_preference(world.desk, c, "nonsense", "x")
    with pytest.raises(ValidationError):
        add_note(world.desk, c, "   ")
    assert Note.objects.filter(customer=c).count() == 0
    n = add_note(world.desk, c, "客人喜欢靠窗的位子", kind=Note.Kind.PRAISE)
    assert n.author == world.desk
    org = make_customer(world.h1, "ORG1", "迎客科技有限公司", kind=Customer.Kind.ORGANISATION)
    link = link_contact(world.am1, org, c, title="总经理", is_primary=True)
    assert ContactLink.objects.get() == link
    with pytest.raises(ValidationError):
        link_contact(world.am1, c, org)  # a person has no contact people
    with pytest.raises(ValidationError):
        link_contact(world.am1, org, world.c_h2)  # other property


def test_search_keys_follow_renames(world):
    c = world.c_am1
    c.name = "曾小贤"
    save_customer(world.am1, c)
    keys = set(SearchKey.objects.filter(customer=c).values_list("key", flat=True))
    assert {"zengxiaoxian", "zxx", "cengxiaoxian", "曾小贤"} <= keys
    assert "zhangsan" not in keys


def test_stored_id_is_the_authority_on_birth_date_and_gender(world):
    c = save_customer(world.am1, Customer(property=world.h1, customer_code="X9", name="王九"), id_number=RID)
    c.birth_date = c.birth_date.replace(year=2000)
    c.gender = "F"
    with pytest.raises(ValidationError) as exc:
        save_customer(world.am1, c)
    assert set(exc.value.message_dict) == {"birth_date", "gender"}
    assert str(Customer.objects.get(pk=c.pk).birth_date) == "1988-04-12"


def test_a_blank_code_is_refused_on_update_not_regenerated(world):
    c = world.c_am1
    c.customer_code = ""
    with pytest.raises(ValidationError) as exc:
        save_customer(world.am1, c)
    assert "customer_code" in exc.value.message_dict
    assert Customer.objects.get(pk=c.pk).customer_code == "C001"


def test_new_contact_link_history_names_its_author(world):
    org = make_customer(world.h1, "ORG9", "某某公司", kind=Customer.Kind.ORGANISATION)
    link = link_contact(world.am1, org, world.c_am1, title="经理")
    assert [(h.history_type, h.history_user) for h in link.history.all()] == [("+", world.am1)]
