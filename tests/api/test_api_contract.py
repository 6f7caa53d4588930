"""The API contract: every operation documents its JSON error answers, request limits come
from the models and the schema states them, and every error is JSON, CSRF failures
included (R-12.4)."""

import datetime as dt
import json
import re

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.test import Client, RequestFactory
from django.utils import timezone

from tests.api.helpers import session_client
from tests.conftest import make_customer
from yingke.customers.models import Customer, SpecialDate

pytestmark = pytest.mark.django_db

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


@pytest.fixture
def openapi(client):
    return client.get("/api/openapi.json").json()


def operations(schema):
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def test_every_operation_documents_its_json_errors(openapi):
    checked = 0
    for path, method, op in operations(openapi):
        responses = op["responses"]
        expected = set()
        if op.get("security"):
            expected |= {"401", "403"}
        if "{" in path:
            expected.add("404")
        if method in ("post", "patch", "put", "delete"):
            expected |= {"409", "422"}
        if "requestBody" in op:
            expected |= {"400", "422"}
        for code in expected:
            assert code in responses, (method, path, code)
            assert responses[code]["content"]["application/json"]["schema"] == ERROR_REF, (method, path, code)
            assert responses[code]["description"], (method, path, code)
        checked += bool(expected)
    assert checked >= 20
    error = openapi["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["detail"] and set(error["properties"]) == {"detail", "errors"}


def test_every_text_field_of_a_request_has_the_models_limit(openapi):
    customer = openapi["components"]["schemas"]["CustomerCreate"]["properties"]
    for name, prop in customer.items():
        if name in ("id_number", "tags", "property", "owner"):
            continue
        field = Customer._meta.get_field(name)
        if field.get_internal_type() == "CharField" and not field.choices:
            limit = prop.get("maxLength") or next(b["maxLength"] for b in prop["anyOf"] if b.get("type") == "string")
            assert limit == field.max_length, name
        if field.choices:
            enum = prop.get("enum") or next(b["enum"] for b in prop["anyOf"] if "enum" in b)
            assert enum == [v for v, _label in field.choices], name
    dates = openapi["components"]["schemas"]["SpecialDateIn"]["properties"]
    assert (dates["remind_days"]["minimum"], dates["remind_days"]["maximum"]) == (0, 60)  # the model's validator
    assert (dates["month"]["minimum"], dates["month"]["maximum"]) == (1, 12)
    assert dates["label"]["anyOf"][0]["maxLength"] == SpecialDate._meta.get_field("label").max_length


def test_a_request_at_the_limit_is_accepted_and_one_over_is_a_field_error(world, api_as):
    api = api_as(world.gm)
    at_limit = api.post("/api/customers", {"name": "名" * 100, "address": "路" * 200})
    assert at_limit.status_code == 201, at_limit.content
    over = api.post("/api/customers", {"name": "名", "address": "路" * 201})
    assert over.status_code == 422 and list(over.json()["errors"]) == ["address"]
    assert "200" in over.json()["errors"]["address"][0]


def test_the_birth_date_range_is_in_the_schema_and_enforced(world, api_as, openapi):
    pattern = openapi["components"]["schemas"]["CustomerCreate"]["properties"]["birth_date"]["pattern"]
    today = timezone.localdate()
    for day, accepted in ((dt.date(1900, 1, 1), True), (today, True), (dt.date(1899, 12, 31), False),
                          (today + dt.timedelta(days=1), False)):
        assert bool(re.fullmatch(pattern, day.isoformat())) is accepted, day
        response = api_as(world.gm).post("/api/customers", {"name": "生日", "birth_date": day.isoformat()})
        assert response.status_code == (201 if accepted else 422), (day, response.content)


def test_decimals_accept_numbers_rounded_and_exact_strings_in_range(world, api_as, openapi):
    api = api_as(world.gm)
    prop = openapi["components"]["schemas"]["CustomerCreate"]["properties"]["discount_rate"]
    pattern = next(b for b in prop["anyOf"] if b.get("type") == "string")["pattern"]
    for text, accepted in (("0.85", True), ("1", True), ("0.01", True), ("0", False), ("0.009", False),
                           ("1.001", False), ("0.8505", False), ("+0.5", False), ("1e-1", False)):
        assert bool(re.fullmatch(pattern, text)) is accepted, text
        response = api.post("/api/customers", {"name": "折扣", "discount_rate": text})
        assert response.status_code == (201 if accepted else 422), (text, response.content)
    response = api.post("/api/customers", {"name": "折扣", "discount_rate": 0.8500000001, "agreed_room_rate": 0.57})
    assert response.status_code == 201, response.content
    c = Customer.objects.get(pk=response.json()["id"])
    assert (str(c.discount_rate), str(c.agreed_room_rate)) == ("0.850", "0.57")  # rounded to the column


def test_a_duplicate_customer_code_is_a_conflict(world, api_as):
    make_customer(world.h1, "VIP1", "甲")
    response = api_as(world.gm).post("/api/customers", {"name": "乙", "customer_code": "vip1"})
    assert response.status_code == 409, response.content
    assert list(response.json()["errors"]) == ["customer_code"]


def test_bad_json_and_a_too_large_body_answer_json(world, api_as):
    api = api_as(world.gm)
    bad = api.post("/api/customers", "{not json")
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/json")
    huge = api.post("/api/customers", '{"name": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + '"}')
    assert huge.status_code == 413 and huge.json()["detail"]


def test_a_session_request_without_csrf_token_is_a_json_403(world):
    api = session_client(world.gm, csrf=False)
    response = api.post("/api/customers", {"name": "无令牌"})
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert not Customer.objects.filter(name="无令牌").exists()


def test_an_unknown_api_path_is_a_json_404_whatever_the_method(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.gm)
    for method in ("get", "post", "delete"):
        response = getattr(client, method)("/api/no/such/\nthing")
        assert response.status_code == 404 and response["Content-Type"].startswith("application/json"), method


def test_djangos_own_csrf_rejection_answers_json_on_api_paths_only():
    """settings.CSRF_FAILURE_VIEW: the middleware's rejection of a view that is not exempt."""

    def view(request):
        return HttpResponse("changed")

    middleware = CsrfViewMiddleware(lambda request: HttpResponse())
    api = middleware.process_view(RequestFactory().post("/api/customers"), view, (), {})
    assert api.status_code == 403 and api["Content-Type"].startswith("application/json")
    assert "CSRF" in json.loads(api.content)["detail"]
    page = middleware.process_view(RequestFactory().post("/customers/new/"), view, (), {})
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")


def test_openapi_document_has_no_duplicate_keys(client):
    """Swagger UI refuses a document with a status code twice ("403" from ninja and from us)."""
    import json

    def no_duplicates(pairs):
        keys = [k for k, _v in pairs]
        assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
        return dict(pairs)

    json.loads(client.get("/api/openapi.json").content, object_pairs_hook=no_duplicates)
