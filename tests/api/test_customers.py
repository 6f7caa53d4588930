"""Guest files through the API: create, read, change, errors, pagination, filters."""

import pytest
from simple_history.utils import get_history_model_for_model

from tests.api.helpers import ids
from tests.conftest import make_customer
from yingke.api import pagination
from yingke.customers.models import Customer, Tag

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}


def snapshot():
    history = get_history_model_for_model(Customer)
    return (Customer.objects.count(), history.objects.count(), Tag.objects.count(),
            sorted(Customer.objects.values_list("id", "name", "mobile", "customer_code", "job_title")))


def test_create_retrieve_update(world, api_as):
    api = api_as(world.am1)
    created = api.post("/api/customers", {
        "name": " 欧阳娜娜 ", "mobile": "+86 139-1234-5678", "kind": "person", "tags": ["VIP", "常客"],
        "employer": "迎客科技", "birth_date": "1990-05-01", "agreed_room_rate": "688.00",
    })
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["name"] == "欧阳娜娜" and data["mobile"] == "13912345678"
    assert data["customer_code"].startswith("G") and data["tags"] == ["VIP", "常客"]
    assert data["agreed_room_rate"] == "688.00" and data["can_edit"] is True
    assert data["name_pinyin"] == "ouyangnana"
    url = f"/api/customers/{data['id']}"
    assert api.get(url).json() == data

    changed = api.patch(url, {"job_title": "总监", "tags": ["VIP"], "email": "nana@example.com"})
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert (body["job_title"], body["tags"], body["email"]) == ("总监", ["VIP"], "nana@example.com")
    assert body["mobile"] == "13912345678" and body["employer"] == "迎客科技"  # untouched fields stay
    customer = Customer.objects.get(pk=data["id"])
    assert customer.history.count() >= 2  # created, changed (tag changes may add records)
    assert customer.history.first().history_user == world.am1


def test_create_organisation(world, api_as):
    data = api_as(world.gm).post("/api/customers", {
        "name": "迎客集团有限公司", "kind": "org", "nature": "soe", "discount_rate": 0.85,
        "customer_code": "org-01", "gender": "M",
    }).json()
    assert data["kind"] == "org" and data["nature"] == "soe" and data["discount_rate"] == "0.850"
    assert data["customer_code"] == "ORG-01" and data["gender"] == ""


def test_patch_with_null_clears_text_and_id_number(world, api_as):
    api = api_as(world.gm)
    url = f"/api/customers/{world.c_am1.pk}"
    assert api.patch(url, {"id_number": "11010519491231002X", "employer": "A"}).json()["id_number_masked"]
    data = api.patch(url, {"id_number": "", "employer": None}).json()
    assert data["id_number_masked"] == "" and data["employer"] == ""


@pytest.mark.parametrize("payload,field", [
    ({"name": "王五", "mobile": "12345"}, "mobile"),
    ({"name": "王五", "id_number": "110105194912310021"}, "id_number"),
    ({"name": "王五", "email": "not-an-email"}, "email"),
    ({"name": "  "}, "name"),
    ({}, "name"),
    ({"name": "王五", "kind": "alien"}, "kind"),
    ({"name": "王五", "birth_date": "1990-13-01"}, "birth_date"),
    ({"name": "王五", "agreed_room_rate": "abc"}, "agreed_room_rate"),
    ({"name": "王五", "nickname": "x"}, "nickname"),
    ({"name": "王五", "tags": "VIP"}, "tags"),
    ({"name": "王五", "owner": "boss"}, "owner"),
    ({"name": "王五" * 60}, "name"),
])
def test_bad_input_is_422_with_field_messages_and_stores_nothing(world, api_as, payload, field):
    before = snapshot()
    response = api_as(world.gm).post("/api/customers", {**payload, "tags": payload.get("tags", ["新标签"])})
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"] == "输入有误，未做任何修改。"
    assert body["errors"][field] and all(isinstance(m, str) and m for m in body["errors"][field])
    assert snapshot() == before


def test_several_errors_at_once(world, api_as):
    response = api_as(world.gm).post("/api/customers", {"name": "王五", "mobile": "123", "id_number": "1"}, **EN)
    errors = response.json()["errors"]
    assert set(errors) == {"mobile", "id_number"}
    assert errors["mobile"] == ["“123” is not a valid mobile number."]


def test_patch_bad_input_changes_nothing(world, api_as):
    before = snapshot()
    url = f"/api/customers/{world.c_am1.pk}"
    api = api_as(world.gm)
    for payload in ({"job_title": "经理", "mobile": "abc"}, {"name": None}, {"property": "H2"},
                    {"tags": ["新"], "id_number": "123"}):
        response = api.patch(url, payload)
        assert response.status_code == 422, (payload, response.content)
    response = api.patch(url, {"customer_code": "C002", "job_title": "x"})
    assert response.status_code == 409 and "customer_code" in response.json()["errors"]
    assert snapshot() == before


def test_a_code_already_used_in_the_property_is_a_conflict(world, api_as):
    """Valid input that the stored state forbids: 409 with the field, nothing stored."""
    before = snapshot()
    response = api_as(world.gm).post("/api/customers", {"name": "王五", "customer_code": "C001", "tags": ["新"]})
    assert response.status_code == 409 and response.json()["errors"]["customer_code"]
    assert snapshot() == before


def test_malformed_json_is_400_json(world, api_as):
    response = api_as(world.gm).post("/api/customers", "{not json", **EN)
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is not valid JSON."}
    response = api_as(world.gm).post("/api/customers", [1, 2])
    assert response.status_code == 422


def test_messages_in_chinese_by_default_and_english_on_request(world, api_as):
    api = api_as(world.gm)
    zh = api.post("/api/customers", {"mobile": "12345"}).json()
    en = api.post("/api/customers", {"mobile": "12345"}, **EN).json()
    assert zh["errors"]["name"] == ["此字段为必填项。"]
    assert en["errors"]["name"] == ["This field is required."]
    assert en["detail"] == "The input is not valid; nothing was changed."
    zh = api.post("/api/customers", {"name": "王五", "mobile": "12345"}).json()
    en = api.post("/api/customers", {"name": "王五", "mobile": "12345"}, **EN).json()
    assert en["errors"] == {"mobile": ["“12345” is not a valid mobile number."]}
    assert "“12345”" in zh["errors"]["mobile"][0]
    assert api.get("/api/customers/999999", **EN).json() == {"detail": "Not found."}
    bad_limit = api.get("/api/customers", {"limit": 0}, **EN).json()
    assert bad_limit["errors"] == {"limit": ["Enter a value of at least 1."]}
    bad_kind = api.get("/api/customers", {"kind": "x"}).json()
    assert bad_kind["errors"]["kind"][0].startswith("请从以下选项中选择")


# ---- pagination and filters ----------------------------------------------------------

@pytest.fixture
def many(world):
    """40 more files in H1: 30 owned by am1 (10 tagged VIP), 10 organisations in the pool."""
    vip = Tag.objects.create(property=world.h1, name="VIP")
    out = []
    for i in range(30):
        c = make_customer(world.h1, f"P{i:03d}", f"客人{i:02d}", owner=world.am1, mobile=f"1380000{i:04d}")
        if i < 10:
            c.tags.add(vip)
        out.append(c)
    for i in range(10):
        out.append(make_customer(world.h1, f"O{i:03d}", f"公司{i:02d}", kind="org"))
    return out


@pytest.mark.parametrize("order", ["name", "-created", "code"])
def test_cursor_pagination_walks_every_file_once(world, many, api_as, order):
    api = api_as(world.gm)
    seen, url, pages = [], "/api/customers", 0
    params = {"limit": 7, "order": order}
    while url:
        response = api.get(url, params if pages == 0 else None)
        assert response.status_code == 200, response.content
        data = response.json()
        assert data["count"] == 44 and data["count_capped"] is False
        assert len(data["items"]) <= 7
        seen += [c["id"] for c in data["items"]]
        url, pages = data["next"], pages + 1
        assert url is None or url.startswith("http://testserver/api/customers?")
    assert pages == 7
    assert len(seen) == len(set(seen)) == 44
    expected = list(Customer.objects.filter(property=world.h1).order_by(
        *{"name": ["name_pinyin", "id"], "-created": ["-created_at", "-id"], "code": ["customer_code", "id"]}[order]
    ).values_list("id", flat=True))
    assert seen == expected


def test_offset_pagination(world, many, api_as):
    api = api_as(world.gm)
    first = api.get("/api/customers", {"limit": 10}).json()
    second = api.get("/api/customers", {"limit": 10, "offset": 10}).json()
    assert [c["id"] for c in first["items"]] + [c["id"] for c in second["items"]] == list(
        Customer.objects.filter(property=world.h1).order_by("name_pinyin", "id").values_list("id", flat=True)[:20])
    assert "offset=20" in second["next"]
    last = api.get("/api/customers", {"limit": 10, "offset": 40}).json()
    assert len(last["items"]) == 4 and last["next"] is None


def test_bad_cursor_is_422(world, api_as):
    response = api_as(world.gm).get("/api/customers", {"cursor": "garbage!"})
    assert response.status_code == 422 and "cursor" in response.json()["errors"]
    response = api_as(world.gm).get("/api/customers", {"cursor": "WyJuYW1lIiwgMSwgMl0", "order": "code"})
    assert response.status_code == 422


def test_count_is_capped_on_huge_lists(world, many, api_as, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 20)
    data = api_as(world.gm).get("/api/customers", {"limit": 5}).json()
    assert data["count"] == 20 and data["count_capped"] is True and data["next"]


def test_filters(world, many, api_as):
    api = api_as(world.gm)

    def found(**params):
        return ids(api.get("/api/customers", {"limit": 200, **params}))

    tagged = {c.pk for c in many[:10]}
    orgs = {c.pk for c in many[30:]}
    mine_am1 = {c.pk for c in many[:30]} | {world.c_am1.pk}
    assert found(tag="VIP") == tagged
    assert found(kind="org") == orgs
    assert found(owner=str(world.am1.pk)) == mine_am1
    assert found(owner="none") == orgs | {world.c_pool.pk}
    assert found(property="h1") == found()
    assert found(property="H2") == set()  # the GM of H1 sees nothing of H2
    assert found(kind="org", owner="none", tag="VIP") == set()
    assert found(q="客人0", tag="VIP") == {c.pk for c in many[:10]}
    assert ids(api_as(world.am1).get("/api/customers", {"owner": "me", "limit": 200})) == mine_am1
    assert api.get("/api/customers", {"owner": "boss"}).status_code == 422


def test_list_with_q_ranks_best_match_first(world, many, api_as):
    data = api_as(world.gm).get("/api/customers", {"q": "zs"}).json()
    assert data["items"][0]["id"] == world.c_am1.pk and data["next"] is None
    hits = api_as(world.gm).get("/api/customers/search", {"q": "13812345678"}).json()
    assert hits["items"][0]["match"] == "mobile" and hits["items"][0]["score"] == 100


def test_search_by_polyphonic_surname(world, api_as):
    api = api_as(world.gm)
    for q in ("shantianfang", "dantianfang", "stf", "单田芳", "zengguofan", "cengguofan", "zgf"):
        found = ids(api.get("/api/customers/search", {"q": q}))
        assert found & {world.c_am2.pk, world.c_am3.pk}, q


def test_search_limit_and_missing_q(world, many, api_as):
    api = api_as(world.gm)
    assert len(api.get("/api/customers/search", {"q": "客人", "limit": 5}).json()["items"]) == 5
    assert api.get("/api/customers/search").status_code == 422
    assert api.get("/api/customers/search", {"q": "  "}).json()["items"] == []


# ---- query counts --------------------------------------------------------------------

# Token check + last-used stamp + the user's properties = 3; count, page, tags = 3; search adds its own.
@pytest.mark.parametrize("params,most", [({}, 6), ({"order": "-created", "limit": 50}, 6), ({"tag": "VIP"}, 6),
                                         ({"offset": 5}, 6), ({"kind": "person", "owner": "none"}, 6),
                                         ({"q": "客人"}, 10)])
def test_list_query_count_does_not_grow_with_rows(world, many, api_as, django_assert_max_num_queries, params, most):
    api = api_as(world.gm)
    api.get("/api/me")  # warm up
    with django_assert_max_num_queries(most):
        response = api.get("/api/customers", params)
    assert response.status_code == 200 and response.json()["items"]


def test_search_and_detail_query_counts(world, many, api_as, django_assert_max_num_queries):
    api = api_as(world.gm)
    with django_assert_max_num_queries(10):
        assert api.get("/api/customers/search", {"q": "客人"}).json()["items"]
    with django_assert_max_num_queries(6):
        assert api.get(f"/api/customers/{many[0].pk}").status_code == 200


# ---- hostile input -------------------------------------------------------------------

BIG = 99999999999999999999


@pytest.mark.parametrize("method,path,payload,status,field", [
    ("get", "/api/customers/{big}", None, 404, None),
    ("get", "/api/customers/9223372036854775808/notes", None, 404, None),
    ("post", "/api/customers", {"name": "x\x00y"}, 422, "name"),
    ("post", "/api/customers", {"name": "x", "tags": ["a\x00"]}, 422, "tags"),
    ("post", "/api/customers/{c}/notes", {"text": "a\x00b"}, 422, "text"),
    ("post", "/api/customers/{c}/contacts", {"person_id": BIG}, 422, "person_id"),
    ("post", "/api/customers", {"name": "x", "owner": BIG}, 422, "owner"),
    ("post", "/api/customers", {"name": "x", "agreed_room_rate": "NaN"}, 422, "agreed_room_rate"),
    ("post", "/api/customers", {"name": "x", "agreed_room_rate": "1e30"}, 422, "agreed_room_rate"),
    ("post", "/api/customers", {"name": "x", "discount_rate": 1.5}, 422, "discount_rate"),
    ("post", "/api/customers", {"name": "x", "discount_rate": 0}, 422, "discount_rate"),
    ("post", "/api/customers/{c}/special-dates", {"month": 1, "day": 1, "year": 99999}, 422, "year"),
    ("get", "/api/customers/search?q=x%00", None, 422, "q"),
    ("get", "/api/customers?tag=a%00", None, 422, "tag"),
    ("get", "/api/customers?owner={big}", None, 422, "owner"),
    ("get", "/api/customers?limit=100000", None, 422, "limit"),
    ("get", "/api/customers?offset=-1", None, 422, "offset"),
])
def test_hostile_input_is_a_clear_answer_not_a_crash(world, api_as, method, path, payload, status, field):
    org = make_customer(world.h1, "ORG9", "单位", kind="org")
    url = path.format(big=BIG, c=org.pk)
    before = snapshot()
    api = api_as(world.gm)
    response = api.get(url) if method == "get" else api.post(url, payload)
    assert response.status_code == status, response.content
    if field:
        assert response.json()["errors"][field]
    assert snapshot() == before


def test_long_query_is_harmless(world, api_as):
    response = api_as(world.gm).get("/api/customers", {"q": "张" * 2000})
    assert response.status_code == 200 and response.json()["items"] == []
