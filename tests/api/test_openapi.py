"""The OpenAPI schema and the interactive docs."""

import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_loads(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Yingke API"
    paths = schema["paths"]
    for path in ("/api/customers", "/api/customers/search", "/api/customers/{customer_id}",
                 "/api/customers/{customer_id}/contacts", "/api/customers/{customer_id}/preferences",
                 "/api/customers/{customer_id}/special-dates", "/api/customers/{customer_id}/notes"):
        assert path in paths
    assert set(paths["/api/customers/{customer_id}"]) == {"get", "patch"}
    assert {"TokenAuth", "SessionAuth"} <= set(schema["components"]["securitySchemes"])


def test_every_operation_but_health_requires_auth(client):
    schema = client.get("/api/openapi.json").json()
    operation_ids = []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            operation_ids.append(op["operationId"])
            if path == "/api/health":
                assert "security" not in op
            else:
                assert {next(iter(s)) for s in op["security"]} == {"TokenAuth", "SessionAuth"}, (method, path)
    assert len(operation_ids) == len(set(operation_ids))


def test_no_plain_id_number_in_any_response_schema(client):
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    for name, schema in schemas.items():
        if name.endswith("Out") or name in ("CustomerSummary",):
            assert "id_number" not in schema.get("properties", {}), name


def test_docs_render(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
    assert b"/api/openapi.json" in response.content
