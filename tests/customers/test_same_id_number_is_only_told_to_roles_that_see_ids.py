"""The "Same ID number" duplicate reason (R-2.8) is told only to the roles that see ID
numbers beyond the last four characters (permissions.sees_id_region: GM, sales and account
managers). The front desk and the supervisor see IDs masked to the last four: telling them
that two files share an ID would let them confirm a guessed number (R-12.1). Pairs found
only by it are not listed to them, nor counted; pairs with other reasons too are listed
without it."""

import pytest
from django.test import Client

from tests.api.helpers import token_client
from tests.conftest import make_customer
from yingke.core.permissions import SYSTEM
from yingke.customers import services
from yingke.customers.duplicates import candidate_pairs, reasons_for
from yingke.customers.identity import id_check_char

ID = "11010119880808002"
ID = ID + id_check_char(ID)


@pytest.fixture
def pairs_by_id(world):
    w = world
    w.a = make_customer(w.h1, "I1", "关羽")
    w.b = make_customer(w.h1, "I2", "关云长")
    w.c = make_customer(w.h1, "J1", "张飞", mobile="13900000001")
    w.d = make_customer(w.h1, "J2", "张翼德", mobile="13900000001")
    for f in (w.a, w.b, w.c, w.d):
        f.id_type = "resident"
        services.save_customer(SYSTEM, f, id_number=ID if f in (w.a, w.b) else ID[:-5] + "1234" + id_check_char(
            ID[:-5] + "1234"))
    return w


def listed(user):
    return {(p.a.customer_code, p.b.customer_code): [c for c, _l in p.reasons] for p in candidate_pairs(user)[:100]}


@pytest.mark.parametrize("role", ["desk", "sup"])
def test_masked_roles_are_not_told(pairs_by_id, role):
    w = pairs_by_id
    user = getattr(w, role)
    found = listed(user)
    assert ("I1", "I2") not in found
    assert found[("J1", "J2")] == ["mobile"]  # also the same ID (J1/J2): not said
    assert candidate_pairs(user).counts_by_reason()["id_number"] == 0
    assert candidate_pairs(user, reason="id_number").count() == 0
    assert reasons_for(user, w.a, w.b) == []
    client = Client()
    client.force_login(user)
    text = client.get("/duplicates/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Same ID number" not in text and "关云长" not in text
    body = token_client(user).get("/api/duplicates").json()
    assert all("id_number" not in item["reasons"] for item in body["items"])
    assert body["by_reason"]["id_number"] == 0


def test_roles_that_see_ids_are_told(pairs_by_id):
    found = listed(pairs_by_id.gm)
    assert found[("I1", "I2")] == ["id_number"]
    assert found[("J1", "J2")] == ["mobile", "id_number"]
