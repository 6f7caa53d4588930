"""One filter definition for the customer list (customers.filters.CustomerFilterSet): the
UI list, its count, its export and the API list read the same names, validate them the
same way and narrow the same rows; invalid values are a form error in the UI and a 422
naming the field in the API."""

import pytest
from django.urls import reverse

from tests.api.helpers import token_client
from tests.conftest import make_customer
from yingke.core.permissions import SYSTEM
from yingke.customers.filters import CustomerFilterSet
from yingke.customers.models import Customer
from yingke.customers.services import save_customer, tags_from_names


@pytest.fixture
def mixed(world):
    make_customer(world.h1, "C005", "阿里巴巴集团", kind=Customer.Kind.ORGANISATION, owner=world.am1)
    make_customer(world.h1, "C006", "王芳", owner=world.am2, gender=Customer.Gender.FEMALE)
    save_customer(SYSTEM, world.c_am1, tags=tags_from_names(world.h1, ["VIP"]))
    return world


def ui_codes(client, user, params):
    client.force_login(user)
    response = client.get(reverse("customers:list"), params)
    assert response.status_code == 200
    return {c.customer_code for c in response.context["page"].rows}


def api_codes(user, params):
    response = token_client(user).get("/api/customers", {**params, "limit": 200})
    assert response.status_code == 200, response.content
    return {c["customer_code"] for c in response.json()["items"]}


CASES = [
    ({}, {"C001", "C002", "C003", "C004", "C005", "C006"}),
    ({"kind": "org"}, {"C005"}),
    ({"gender": "F"}, {"C006"}),
    ({"has_mobile": "no"}, {"C005", "C006"}),
    ({"owner": "none"}, {"C004"}),
    ({"tag": "VIP"}, {"C001"}),
    ({"property": "h1", "kind": "person", "has_mobile": "yes"}, {"C001", "C002", "C003", "C004"}),
    ({"order": "code", "owner": "none", "kind": "org"}, set()),
]


@pytest.mark.parametrize("params,expected", CASES)
def test_the_same_query_string_gives_the_same_files_in_ui_and_api(client, mixed, params, expected):
    assert ui_codes(client, mixed.gm, params) == expected
    assert api_codes(mixed.gm, params) == expected
    client.force_login(mixed.gm)
    count = client.get(reverse("customers:count"), params).context
    assert count["count"] == len(expected)


def test_owner_me_and_a_user_id_mean_the_same_everywhere(client, mixed):
    mine = {"C001", "C005"}
    assert ui_codes(client, mixed.am1, {"owner": "me"}) == api_codes(mixed.am1, {"owner": "me"}) == mine
    by_id = {"owner": str(mixed.am1.pk)}
    assert ui_codes(client, mixed.gm, by_id) == api_codes(mixed.gm, by_id) == mine


@pytest.mark.parametrize("params,field", [
    ({"kind": "robot"}, "kind"),
    ({"gender": "X"}, "gender"),
    ({"has_mobile": "maybe"}, "has_mobile"),
    ({"owner": "boss"}, "owner"),
    ({"owner": "9" * 19}, "owner"),
    ({"order": "-name"}, "order"),
    ({"tag": "x" * 31}, "tag"),
    ({"tag": "a\x00"}, "tag"),
    ({"property": "p" * 21}, "property"),
])
def test_an_invalid_value_names_its_field_in_ui_and_api(client, world, params, field):
    client.force_login(world.gm)
    response = client.get(reverse("customers:list"), params)
    assert response.status_code == 200 and response.context["page"].rows == []
    assert list(response.context["form"].errors) == [field]
    api = token_client(world.gm).get("/api/customers", params)
    assert api.status_code == 422
    body = api.json()
    assert list(body["errors"]) == [field] and body["errors"][field][0]
    assert body["errors"][field] == [str(m) for m in response.context["form"].errors[field]]


def test_a_filter_never_widens_the_rule(client, world):
    h2_code = {"property": "h2"}  # the GM of H1 asks for H2
    assert api_codes(world.gm, h2_code) == set()
    assert api_codes(world.am1, {"owner": str(world.am2.pk)}) == set()
    assert ui_codes(client, world.am1, {"owner": str(world.am2.pk)}) == set()


def test_the_api_documents_every_filter_of_the_definition(client, db):
    params = client.get("/api/openapi.json").json()["paths"]["/api/customers"]["get"]["parameters"]
    documented = {p["name"]: p for p in params}
    assert set(CustomerFilterSet.base_filters) <= set(documented)
    assert documented["kind"]["schema"]["enum"] == ["person", "org", ""]
    assert documented["order"]["schema"]["enum"] == ["name", "-created", "created", "code", "-last_visit",
                                                     "last_visit", "-spend", "-visits", "grade", ""]
    assert documented["owner"]["schema"]["pattern"] == "^(?:(me|none|[0-9]{1,18}))?$"
    assert documented["tag"]["schema"]["maxLength"] == 30
