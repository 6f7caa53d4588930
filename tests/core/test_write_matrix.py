"""The write rule (R-1.2), through every write route of the UI and the API.

Every role × every write route × files in each relation to the role → allowed, 403 or 404,
written out here from the role table of the README (not computed from the permission
module), and a refused request changes nothing:

  general manager, sales manager, account manager – change the regular information of the
      files they see, annotate them, change or remove any annotation; open new files;
  front desk – see every file of the property, annotate (notes, preferences, dates),
      change or remove only what they recorded themselves, open new files (check-in);
  supervisor – see every file and annotate like the front desk; no new files;
  administrator – no customer data at all;
  a file the user may not see – 404, whatever the route;
  a deactivated member of staff, or nobody – the login page (UI) or 401 (API).

A user of two properties is included (an account manager of H1 and H2, the case of the
new-customer page that failed before).
"""

import datetime as dt

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.api.helpers import token_client
from tests.conftest import EXPECTED, make_customer, make_user
from yingke.core.models import ApiToken
from yingke.core.roles import Role
from yingke.customers.models import (
    ContactLink,
    Customer,
    DuplicateDismissal,
    GroupAccount,
    Note,
    Preference,
    SpecialDate,
)
from yingke.grading.models import GradeOverride
from yingke.visits.models import Visit

TARGETS = ["c_am1", "c_am3", "c_pool", "c_h2", "c_multi"]
# Who sees which file: the conftest table, plus the two-property account manager and
# their file in H2 (they see their own files and the pool of both properties).
VISIBLE = {**{role: files for role, files in EXPECTED.items()}, "multi": {"c_pool", "c_multi"}}
VISIBLE["gm2"] = VISIBLE["gm2"] | {"c_multi"}
# Roles that change regular information and amend any annotation; roles that only annotate.
EDITORS = {"gm", "sm", "am1", "am2", "am3", "gm2", "am_h2", "multi"}
ANNOTATORS = {"desk", "sup"}
CREATORS = EDITORS | {"desk"}
OUT = ("gone", "anon")
ROLES = sorted(VISIBLE) + list(OUT)

# Route → (kind, how to call it). Kinds: create, edit (regular information), annotate,
# amend_other (an annotation someone else recorded), amend_own (one the actor recorded).
UI = {
    "customers:create": "create",
    "customers:quick": "create",
    "customers:edit": "edit",
    "customers:contact_add": "edit",
    "customers:contact_delete": "edit",
    "customers:group_link": "edit",
    "customers:group_unlink": "edit",
    "customers:preference_add": "annotate",
    "customers:date_add": "annotate",
    "customers:note_add": "annotate",
    "customers:preference_delete": "amend",
    "customers:date_delete": "amend",
    "visits:add": "record",
    "visits:correct": "amend",
    "visits:void": "amend",
    "duplicates:merge": "edit",  # only who may edit both files merges them
    "duplicates:dismiss": "edit",
    "grading:override_set": "regrade",  # the general manager's grade, on a file they see
    "grading:override_remove": "regrade",
}
API = {
    "api:create_customer": "create",
    "api:update_customer": "edit",
    "api:add_contact": "edit",
    "api:remove_contact": "edit",
    "api:add_preference": "annotate",
    "api:add_special_date": "annotate",
    "api:add_note": "annotate",
    "api:delete_preference": "amend",
    "api:update_special_date": "amend",
    "api:delete_special_date": "amend",
    "api:record_visit": "record",
    "api:correct_visit": "amend",
    "api:void_visit": "amend",
    "api:merge_customer": "edit",
    "api:set_grade_override": "regrade",
    "api:remove_grade_override": "regrade",
}
# Write routes that are not about guest files, with the tests that cover them.
ELSEWHERE = {
    "api:create_token", "api:delete_token",  # one's own API keys: tests/api/test_auth.py
    "login", "logout", "password_change", "set_language",  # the session itself
    "customers:mobile_check", "customers:count", "customers:history", "search_suggest",  # reads (GET)
    "visits:section", "visits:history",  # reads (GET)
    "duplicates:list",
    "grading:grade_card",  # read (GET)
}
# Configuration routes (config:, tags:, the configuration API) have their own role matrix in
# tests/*/test_configuration_*.py. Claims, release and bulk assignment of files have
# theirs in tests/control/ (test_claims_service.py, test_claims_api.py, test_assignment_bulk_from_the_list.py,
# test_assignment_api.py: every role × pool / own / team / other files).
CONTROL_API = {"api:claim_file", "api:release_file", "api:assign_customers"}


def _names(patterns, ns=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _names(p.url_patterns, p.namespace or ns)
        elif isinstance(p, URLPattern) and p.name:
            yield (f"{ns}:" if ns else "") + p.name


def test_every_write_route_of_a_guest_file_is_in_the_matrix():
    from yingke.api.root import api

    names = set(_names(get_resolver().url_patterns))
    ui_writes = {n for n in names if n.startswith(("customers:", "duplicates:", "visits:", "grading:override",
                                                   "grading:grade_card")) and n not in ELSEWHERE} - {
        "customers:list", "customers:detail", "customers:export_csv", "customers:export_xlsx"}
    assert ui_writes == set(UI)
    api_writes = set()
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for op in path_view.operations:
                if set(op.methods) & {"POST", "PATCH", "PUT", "DELETE"} and path.startswith(("/customers", "/visits")):
                    api_writes.add(f"api:{getattr(op, 'url_name', None) or op.view_func.__name__}")
    assert api_writes - CONTROL_API == set(API)


@pytest.fixture
def scene(world):
    """The world, plus: an account manager of two properties owning a file in H2, a
    deactivated account manager, and an organisation beside every target file (same owner
    and property, so the same visibility) with the target as its contact person."""
    w = world
    w.multi = make_user("multi", Role.ACCOUNT_MANAGER, w.h1)
    w.multi.properties.add(w.h2)
    w.gone = make_user("gone", Role.ACCOUNT_MANAGER, w.h1)
    w.c_multi = make_customer(w.h2, "C009", "周九", owner=w.multi, mobile="13312340009")
    w.orgs = {}
    for key in TARGETS:
        c = getattr(w, key)
        org = make_customer(c.property, f"ORG-{key}", f"单位{key}", owner=c.owner, kind=Customer.Kind.ORGANISATION)
        ContactLink.objects.create(organisation=org, person=c, title="经理")
        w.orgs[key] = org
    return w


def ui_client(w, role):
    client = Client()
    if role != "anon":
        client.force_login(getattr(w, role))
    return client


def api_client(w, role):
    if role == "anon":
        return token_client_for_key(None)
    return token_client(getattr(w, role))


def token_client_for_key(key):
    from tests.api.helpers import ApiClient

    return ApiClient(Client(), {"Authorization": f"Bearer {key or 'yk_nobody'}"})


def deactivate(w):
    """`gone` logged in (session and key) while active, then deactivated."""
    w.gone.is_active = False
    w.gone.save(update_fields=["is_active"])


def snapshot(w):
    """Everything a write route could change."""
    return (
        list(Customer.objects.order_by("pk").values_list(
            "pk", "name", "job_title", "owner_id", "group_account_id", "mobile", "updated_at")),
        list(Preference.objects.order_by("pk").values_list("pk", "value")),
        list(SpecialDate.objects.order_by("pk").values_list("pk", "label", "month", "day")),
        list(Note.objects.order_by("pk").values_list("pk", "text")),
        list(ContactLink.objects.order_by("pk").values_list("pk", "title", "is_primary")),
        GroupAccount.objects.count(),
        DuplicateDismissal.objects.count(),
        list(Visit.objects.order_by("pk").values_list("pk", "amount", "covers", "voided_at")),
        list(Customer.objects.order_by("pk").values_list("pk", "grade")),
        list(GradeOverride.objects.order_by("pk").values_list("pk", "customer_id", "grade", "reason")),
    )


def expected(role, key, kind):
    """'ok', 403, 404 or 'login', from the role table in the module docstring."""
    if role in OUT:
        return "login"
    if kind == "create":
        return "ok" if role in CREATORS else 403
    if key not in VISIBLE[role]:
        return 404
    if kind == "record":  # visits and stays: the roles that open files
        return "ok" if role in CREATORS else 403
    if kind in ("edit", "amend_other"):
        return "ok" if role in EDITORS else 403
    if kind == "regrade":  # only the general manager sets a grade by hand
        return "ok" if role in ("gm", "gm2") else 403
    return "ok"  # annotate, amend_own: every role that sees the file


def recorded_items(w, customer, recorder):
    pref = Preference.objects.create(customer=customer, category="tea", value="龙井", created_by=recorder)
    spec = SpecialDate.objects.create(customer=customer, month=3, day=8, created_by=recorder)
    return pref, spec


def twin(w, c):
    """A second file of the same guest beside `c` (same property and owner, so the same
    visibility): what merging and "not a duplicate" act on."""
    w.twins = getattr(w, "twins", 0) + 1
    return make_customer(c.property, f"TWIN{w.twins}", c.name, owner=c.owner, kind=c.kind)


def recorded_visit(customer, recorder):
    return Visit.objects.create(property=customer.property, customer=customer, amount=50, created_by=recorder,
                                occurred_at=timezone.now() - dt.timedelta(days=1))


def overridden(customer):
    """`customer` with a grade set by hand (B), as the override service leaves it."""
    GradeOverride.objects.update_or_create(customer=customer, defaults={"grade": "B", "reason": "旧"})
    Customer.objects.filter(pk=customer.pk).update(grade="B")


def yesterday():
    return (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


def ui_call(w, role, name, key, recorder):
    """(method, url, data, success status) of a UI write route for target `key`."""
    c, org = getattr(w, key), w.orgs[key]
    hx = {"HTTP_HX_REQUEST": "true"}
    if name == "customers:create":
        data = {"kind": "person", "name": "新客人", "customer_code": "", "nationality": "中国", "id_type": "resident"}
        if role == "multi":
            data["property"] = w.h2.pk
        return "/customers/new/", data, {}, 302
    if name == "customers:quick":
        data = {"name": "快客", "id_type": "resident"}
        if role == "multi":
            data["property"] = w.h2.pk
        return "/customers/quick/", data, {}, 302
    if name == "customers:edit":
        data = {"kind": c.kind, "name": c.name + "改", "customer_code": c.customer_code, "mobile": c.mobile,
                "owner": c.owner_id or "", "nationality": c.nationality, "id_type": ""}
        return f"/customers/{c.pk}/edit/", data, {}, 302
    if name == "customers:contact_add":
        return f"/customers/{org.pk}/contacts/", {"person": c.customer_code, "title": "总经理"}, hx, 200
    if name == "customers:contact_delete":
        link = ContactLink.objects.get(organisation=org, person=c)
        return f"/customers/{org.pk}/contacts/{link.pk}/delete/", {}, hx, 200
    if name == "customers:group_link":  # a valid request: the file of the other property
        other = w.c_h2 if c.property_id == w.h1.pk else w.c_pool
        return f"/customers/{c.pk}/group/", {"property": other.property_id, "customer_code": other.customer_code}, hx, \
            (200, 422)  # 422 when the other file is not one this user may change (a field message)
    if name == "customers:group_unlink":
        return f"/customers/{c.pk}/group/leave/", {}, hx, 200
    if name == "customers:preference_add":
        return f"/customers/{c.pk}/preferences/", {"category": "tea", "value": "普洱"}, hx, 200
    if name == "customers:date_add":
        data = {"kind": "birthday", "label": "", "calendar": "solar", "month": 5, "day": 1, "year": "",
                "remind_days": 7}
        return f"/customers/{c.pk}/dates/", data, hx, 200
    if name == "customers:note_add":
        return f"/customers/{c.pk}/notes/", {"kind": "note", "text": "客人很满意", "outlet": ""}, hx, 200
    if name == "duplicates:merge":
        return f"/duplicates/merge/{c.pk}/", {"other": twin(w, c).pk}, {}, 302
    if name == "duplicates:dismiss":
        return "/duplicates/dismiss/", {"a": c.pk, "b": twin(w, c).pk}, {}, 302
    if name == "visits:add":
        return f"/visits/customer/{c.pk}/add/", {"kind": "visit", "occurred_at": yesterday(), "amount": "88",
                                                 "covers": "2"}, {}, 302
    if name == "visits:correct":
        v = recorded_visit(c, recorder)
        return f"/visits/customer/{c.pk}/{v.pk}/correct/", {"kind": "visit", "occurred_at": yesterday(),
                                                            "amount": "99", "covers": "3"}, {}, 302
    if name == "visits:void":
        return f"/visits/customer/{c.pk}/{recorded_visit(c, recorder).pk}/void/", {"reason": "录错"}, {}, 302
    if name == "grading:override_set":
        return f"/grading/customers/{c.pk}/grade/override/", {"grade": "A", "reason": "集团重点客户"}, hx, 200
    if name == "grading:override_remove":
        overridden(c)
        return f"/grading/customers/{c.pk}/grade/override/remove/", {"reason": "恢复计算结果"}, hx, 200
    pref, spec = recorded_items(w, c, recorder)
    if name == "customers:preference_delete":
        return f"/customers/{c.pk}/preferences/{pref.pk}/delete/", {}, hx, 200
    if name == "customers:date_delete":
        return f"/customers/{c.pk}/dates/{spec.pk}/delete/", {}, hx, 200
    raise AssertionError(name)


def api_call(w, role, name, key, recorder):
    c, org = getattr(w, key), w.orgs[key]
    base = f"/api/customers/{c.pk}"
    if name == "api:create_customer":
        data = {"name": "新客人"}
        if role == "multi":
            data["property"] = "H2"
        return "post", "/api/customers", data, 201
    if name == "api:update_customer":
        return "patch", base, {"job_title": "董事长"}, 200
    if name == "api:add_contact":
        return "post", f"/api/customers/{org.pk}/contacts", {"person_id": c.pk, "title": "总经理"}, 201
    if name == "api:remove_contact":
        return "delete", f"/api/customers/{org.pk}/contacts/{c.pk}", None, 204
    if name == "api:add_preference":
        return "post", f"{base}/preferences", {"category": "tea", "value": "普洱"}, 201
    if name == "api:add_special_date":
        return "post", f"{base}/special-dates", {"month": 5, "day": 1}, 201
    if name == "api:add_note":
        return "post", f"{base}/notes", {"text": "客人很满意"}, 201
    if name == "api:merge_customer":
        return "post", f"{base}/merge", {"other": twin(w, c).pk}, 200
    if name == "api:record_visit":
        return "post", f"{base}/visits", {"occurred_at": yesterday(), "amount": "88.50"}, 201
    if name == "api:correct_visit":
        return "patch", f"/api/visits/{recorded_visit(c, recorder).pk}", {"amount": 99, "covers": 3}, 200
    if name == "api:void_visit":
        return "post", f"/api/visits/{recorded_visit(c, recorder).pk}/void", {"reason": "录错"}, 200
    if name == "api:set_grade_override":
        return "put", f"{base}/grade-override", {"grade": "A", "reason": "集团重点客户"}, 200
    if name == "api:remove_grade_override":
        overridden(c)
        return "delete", f"{base}/grade-override?reason=%E6%81%A2%E5%A4%8D", None, 200
    pref, spec = recorded_items(w, c, recorder)
    if name == "api:delete_preference":
        return "delete", f"{base}/preferences/{pref.pk}", None, 204
    if name == "api:update_special_date":
        return "patch", f"{base}/special-dates/{spec.pk}", {"label": "结婚纪念"}, 200
    if name == "api:delete_special_date":
        return "delete", f"{base}/special-dates/{spec.pk}", None, 204
    raise AssertionError(name)


def cases(table):
    for name, kind in table.items():
        if kind == "amend":
            yield name, "amend_other"
            yield name, "amend_own"
        else:
            yield name, kind


# Allowed requests that may legitimately change nothing (leaving a group one is not in,
# linking to a file the form refuses).
NO_CHANGE_OK = {"customers:group_unlink", "customers:group_link"}


def check(w, role, key, kind, response, ok_status, before, where):
    want = expected(role, key, kind)
    status = response.status_code
    after = snapshot(w)
    if want == "ok":
        oks = ok_status if isinstance(ok_status, tuple) else (ok_status,)
        assert status in oks, (where, status, response.content[:300])
        if status == 302:
            assert "/login/" not in response["Location"], where
        if where[1] not in NO_CHANGE_OK:
            assert after != before, where  # allowed and done
    elif want == "login":
        assert status in (302, 401), (where, status)
        if status == 302:
            assert "/login/" in response["Location"], where
        assert after == before, where
    else:
        assert status == want, (where, status, response.content[:300])
        assert after == before, where  # refused: nothing changed


@pytest.mark.parametrize("role", ROLES)
def test_ui_write_routes(scene, role):
    w = scene
    client = ui_client(w, "gone" if role == "gone" else role)
    if role == "gone":
        deactivate(w)
    for name, kind in cases(UI):
        for key in (TARGETS if kind != "create" else ["c_am1"]):
            recorder = getattr(w, role) if kind == "amend_own" and role not in OUT else w.gm
            if kind == "amend_own" and role in OUT:
                continue
            path, data, headers, ok = ui_call(w, role, name, key, recorder)
            before = snapshot(w)
            response = client.post(path, data, **headers)
            check(w, role, key, kind, response, ok, before, (role, name, kind, key))


@pytest.mark.parametrize("role", ROLES)
def test_api_write_routes(scene, role):
    w = scene
    api = api_client(w, role)
    if role == "gone":
        deactivate(w)
    for name, kind in cases(API):
        for key in (TARGETS if kind != "create" else ["c_am1"]):
            if kind == "amend_own" and role in OUT:
                continue
            recorder = getattr(w, role) if kind == "amend_own" else w.gm
            method, path, data, ok = api_call(w, role, name, key, recorder)
            before = snapshot(w)
            response = getattr(api, method)(path, data) if data is not None else getattr(api, method)(path)
            check(w, role, key, kind, response, ok, before, (role, name, kind, key))


def test_new_customer_page_for_a_user_of_two_properties(scene):
    """Point 11 of the review: the owner was set before the property was known (500)."""
    client = ui_client(scene, "multi")
    page = client.get("/customers/new/")
    assert page.status_code == 200
    assert 'name="property"' in page.content.decode()
    response = client.post("/customers/new/", {"kind": "person", "name": "两店客", "property": scene.h2.pk,
                                               "owner": scene.multi.pk, "nationality": "中国"})
    assert response.status_code == 302
    made = Customer.objects.get(name="两店客")
    assert (made.property, made.owner) == (scene.h2, scene.multi)


def test_deactivated_users_key_is_refused(scene):
    key = ApiToken.issue(scene.gone)[1]
    scene.gone.is_active = False
    scene.gone.save(update_fields=["is_active"])
    assert token_client_for_key(key).post(f"/api/customers/{scene.c_pool.pk}/notes", {"text": "x"}).status_code == 401
    assert not Note.objects.filter(customer=scene.c_pool).exists()
