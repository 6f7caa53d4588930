"""Odd Unicode in any text field: never a server error; refused input changes nothing;
accepted input is stored as sent, after the documented normalisation (R-12.4).

Lone surrogates ("\\ud800" in JSON; raw ED A0 80 bytes in a form), NUL, control
characters, right-to-left marks, emoji, combining marks, full-width text and 10,000
characters go to every text field of every API write endpoint, to query parameters, and
to the forms of the UI.
"""

import json
import unicodedata
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.helpers import token_client
from tests.conftest import make_customer
from yingke.api.schemas import CUSTOMER_FIELDS
from yingke.core.models import ApiToken
from yingke.customers.forms import ORG_ONLY
from yingke.customers.models import ContactLink, Customer, Note, Preference, SpecialDate, Tag
from yingke.customers.pinyin import clean_name

pytestmark = pytest.mark.django_db

ODD = [
    "\ud800", "a\udfff", "\udbff\ud800x",  # lone or reversed surrogates
    "\x00", "a\x00b", "\x01\x08\x1b\x7f\x85", "\t\r\n",  # NUL and control characters
    "\u202eevil\u202c", "\u200f\u200e\u061c",  # bidirectional overrides and marks
    "😀👨‍👩‍👧‍👦🏳️‍🌈", "e\u0301\u0308\u20dd", "Ｆｕｌｌ　ｗｉｄｔｈ　１２３",  # emoji, combining, full-width
    "\ufeff\u200b\u2060", "\u3000张 三\u3000", " ", "", "x" * 10_000, "龍" * 101,
]
odd_text = st.one_of(
    st.sampled_from(ODD),
    st.lists(st.sampled_from(ODD[:-2]), min_size=2, max_size=4).map("".join),
    st.text(max_size=40),
)


def stored_as_sent(text):
    return text


def trimmed(text):
    return text.strip()


def code(text):
    return clean_name(text).upper()


def unsent(text):
    """What a form field receives: invalid UTF-8 bytes become U+FFFD, the form trims spaces."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").strip()


# Customer fields and what the services do to them (services.normalise); the rest are
# checked by validators (mobile, email) or stored encrypted (id_number).
CUSTOMER_NORMALISE = {"name": clean_name, "customer_code": code, "card_no": code}
VALIDATED = {"mobile", "email", "id_number"}
TEXT_FIELDS = [f for f in CUSTOMER_FIELDS if Customer._meta.get_field(f).get_internal_type() in ("CharField", "TextField")
               and not Customer._meta.get_field(f).choices] + ["id_number"]


def state():
    """Every row a write could touch (a key's last use is written by reading)."""
    rows = [list(m.objects.order_by("pk").values()) for m in (Customer, ContactLink, Preference, SpecialDate,
                                                                 Note, Tag)]
    return rows + [list(ApiToken.objects.order_by("pk").values("pk", "name"))]


def gm_api(world):
    """One key for all examples of a test."""
    if not hasattr(world, "api"):
        world.api = token_client(world.gm)
    return world.api


@pytest.fixture
def org(world):
    return make_customer(world.h1, "ORG1", "迎客集团", kind=Customer.Kind.ORGANISATION)


def api_targets(w, org):
    """(label, method, url, payload for a text, how to read back what was stored, normalisation)."""
    c = w.c_am1
    targets = []
    for field in TEXT_FIELDS:
        norm = None if field in VALIDATED else CUSTOMER_NORMALISE.get(field, stored_as_sent)
        base = {} if field == "name" else {"name": "测试"}
        targets.append((f"create {field}", "post", "/api/customers", lambda t, f=field, b=base: {**b, f: t},
                        lambda r, f=field: getattr(Customer.objects.get(pk=r["id"]), f), norm))
        targets.append((f"change {field}", "patch", f"/api/customers/{c.pk}", lambda t, f=field: {f: t},
                        lambda r, f=field: getattr(Customer.objects.get(pk=r["id"]), f), norm))
    targets += [
        ("tag", "post", "/api/customers", lambda t: {"name": "标签", "tags": [t]},
         lambda r: list(Customer.objects.get(pk=r["id"]).tags.values_list("name", flat=True)),
         lambda t: [clean_name(t)] if clean_name(t) else []),
        ("property", "post", "/api/customers", lambda t: {"name": "门店", "property": t}, None, None),
        ("contact title", "post", f"/api/customers/{org.pk}/contacts", lambda t: {"person_id": w.c_pool.pk, "title": t},
         lambda r: ContactLink.objects.get(pk=r["id"]).title, stored_as_sent),
        ("contact name", "post", f"/api/customers/{org.pk}/contacts", lambda t: {"person": {"name": t}},
         lambda r: Customer.objects.get(pk=r["person"]["id"]).name, clean_name),
        ("preference", "post", f"/api/customers/{c.pk}/preferences", lambda t: {"category": "tea", "value": t},
         lambda r: Preference.objects.get(pk=r["id"]).value, clean_name),
        ("date label", "post", f"/api/customers/{c.pk}/special-dates", lambda t: {"month": 5, "day": 1, "label": t},
         lambda r: SpecialDate.objects.get(pk=r["id"]).label, stored_as_sent),
        ("note", "post", f"/api/customers/{c.pk}/notes", lambda t: {"text": t},
         lambda r: Note.objects.get(pk=r["id"]).text, trimmed),
        ("note outlet", "post", f"/api/customers/{c.pk}/notes", lambda t: {"text": "好", "outlet": t}, None, None),
        ("token name", "post", "/api/tokens", lambda t: {"name": t}, lambda r: ApiToken.objects.get(pk=r["id"]).name,
         trimmed),
    ]
    return targets


QUERIES = ["/api/customers?q={}", "/api/customers?tag={}", "/api/customers?property={}", "/api/customers?owner={}",
           "/api/customers?cursor={}", "/api/customers/search?q={}"]


@settings(max_examples=50, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_odd_text_in_the_api(world, org, data):
    api = gm_api(world)
    targets = api_targets(world, org)
    label, method, url, payload, read_back, normalise = data.draw(st.sampled_from(targets), label="target")
    text = data.draw(odd_text, label="text")
    before = state()
    response = getattr(api, method)(url, payload(text))
    assert response.status_code < 500, (label, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), (label, response.status_code)
    if response.status_code >= 400:
        assert state() == before, label
        errors = response.json()["errors"]
        assert errors and all(isinstance(m, str) and m for ms in errors.values() for m in ms), (label, errors)
    elif read_back and normalise:
        assert read_back(response.json()) == normalise(text), label


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(query=st.sampled_from(QUERIES), text=odd_text)
def test_odd_text_in_query_parameters(world, query, text):
    api = gm_api(world)
    before = state()
    response = api.get(query.format(quote(text.encode("utf-8", "surrogatepass"))))
    assert response.status_code in (200, 422), (query, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert state() == before


def form_post(client, url, fields: dict):
    """POST a form whose text may hold lone surrogates, sent as the raw bytes a hostile client can send."""
    body = "&".join(f"{quote(k)}={quote(str(v).encode('utf-8', 'surrogatepass'))}" for k, v in fields.items())
    return client.post(url, body, content_type="application/x-www-form-urlencoded", headers={"HX-Request": "true"})


def form_targets(w, org):
    c = w.c_am1
    # The form keeps the fields of the other kind of customer as they were (ORG_ONLY, PERSON_ONLY).
    customer_form = [(f, "org" if f in ORG_ONLY else "person") for f in TEXT_FIELDS if f != "id_number"]
    targets = [(f"new {field}", "/customers/new/", lambda t, f=field, k=kind: {"kind": k, "name": "测试", f: t}
                if f != "name" else {"kind": k, "name": t}, Customer, field,
                None if field in VALIDATED else CUSTOMER_NORMALISE.get(field, stored_as_sent))
               for field, kind in customer_form]
    targets += [
        ("quick name", "/customers/quick/", lambda t: {"name": t}, Customer, "name", clean_name),
        ("quick note", "/customers/quick/", lambda t: {"name": "速记", "note": t}, Note, "text", stored_as_sent),
        ("quick preference", "/customers/quick/", lambda t: {"name": "速记", "pref_category": "tea", "pref_value": t},
         Preference, "value", clean_name),
        ("preference", f"/customers/{c.pk}/preferences/", lambda t: {"category": "tea", "value": t}, Preference,
         "value", clean_name),
        ("date label", f"/customers/{c.pk}/dates/", lambda t: {"kind": "birthday", "label": t, "calendar": "solar",
                                                               "month": 5, "day": 1, "remind_days": 7},
         SpecialDate, "label", stored_as_sent),
        ("note", f"/customers/{c.pk}/notes/", lambda t: {"kind": "note", "text": t}, Note, "text", stored_as_sent),
        ("contact title", f"/customers/{org.pk}/contacts/", lambda t: {"person": "C004", "title": t}, ContactLink,
         "title", stored_as_sent),
    ]
    return targets


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_odd_text_in_the_forms(world, org, data):
    client = Client()
    client.force_login(world.gm)
    label, url, fields, model, field, normalise = data.draw(st.sampled_from(form_targets(world, org)),
                                                            label="target")
    text = data.draw(odd_text, label="text")
    last = model.objects.order_by("pk").last()
    before = state()
    response = form_post(client, url, fields(text))
    assert response.status_code < 500, (label, response.status_code)
    if response.status_code >= 400:
        assert state() == before, label
        assert b"errorlist" in response.content or b"error" in response.content, label
        return
    new = model.objects.order_by("pk").last()
    if new is not None and new != last and normalise:  # a row was added: as sent, after normalisation
        assert getattr(new, field) == normalise(unsent(text)), label


def test_a_lone_surrogate_is_a_field_error_not_a_server_error(world, api_as):
    """The penetration test's case: JSON "\\ud800" in a customer name."""
    api = api_as(world.gm)
    before = state()
    body = json.dumps({"name": "\ud800"})
    assert body == '{"name": "\\ud800"}'
    response = api.post("/api/customers", body)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["name"]
    assert state() == before


def test_a_lone_surrogate_in_a_nested_field_names_its_path(world, org, api_as):
    response = api_as(world.gm).post(f"/api/customers/{org.pk}/contacts", {"person": {"name": "王\udc00"}})
    assert response.status_code == 422 and list(response.json()["errors"]) == ["person.name"]


def test_full_width_and_combining_text_is_stored_as_documented(world, api_as):
    response = api_as(world.gm).post("/api/customers", {"name": "Ｚｈａｎｇ　　Ｓａｎ", "address": "e\u0301 路"})
    assert response.status_code == 201, response.content
    c = Customer.objects.get(pk=response.json()["id"])
    assert c.name == unicodedata.normalize("NFKC", "Ｚｈａｎｇ Ｓａｎ") == "Zhang San"  # NFKC, one space
    assert c.address == "e\u0301 路"  # free text is stored exactly as sent
