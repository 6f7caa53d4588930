"""Only roles that may edit both files may merge them (R-2.8, R-1.2): the service, the API
and the merge screen answer the same — 404 for a file the user may not see (as if it did
not exist), 403 for files they see but may not change — and a refused merge changes nothing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client

from tests.api.helpers import token_client
from tests.conftest import make_customer
from yingke.customers import merge as merging
from yingke.customers.duplicates import dismiss
from yingke.customers.models import Customer, DuplicateDismissal

# Pairs of H1 by the owners of their two files.
PAIRS = {"am1": ("am1", "am1"), "mixed": ("am1", "am2"), "pool": (None, None), "am3": ("am3", "am3")}
OK, FORBIDDEN, HIDDEN = "ok", 403, 404
EXPECTED = {  # written out from the role table (README), not computed
    "gm": {"am1": OK, "mixed": OK, "pool": OK, "am3": OK},
    "sm": {"am1": OK, "mixed": OK, "pool": OK, "am3": HIDDEN},
    "am1": {"am1": OK, "mixed": HIDDEN, "pool": OK, "am3": HIDDEN},
    "am2": {"am1": HIDDEN, "mixed": HIDDEN, "pool": OK, "am3": HIDDEN},
    "am3": {"am1": HIDDEN, "mixed": HIDDEN, "pool": OK, "am3": OK},
    "desk": dict.fromkeys(PAIRS, FORBIDDEN),
    "sup": dict.fromkeys(PAIRS, FORBIDDEN),
    "admin": dict.fromkeys(PAIRS, HIDDEN),
    "gm2": dict.fromkeys(PAIRS, HIDDEN),
    "am_h2": dict.fromkeys(PAIRS, HIDDEN),
}


def make_pair(w, key, n):
    a_owner, b_owner = (getattr(w, o) if o else None for o in PAIRS[key])
    a = make_customer(w.h1, f"{key}-{n}-A", "欧阳锋", owner=a_owner, mobile="13700007777")
    b = make_customer(w.h1, f"{key}-{n}-B", "欧阳峰", owner=b_owner, mobile="13700007777")
    return a, b


def state():
    return sorted(Customer.objects.values_list("pk", "name", "owner_id", "updated_at")), \
        DuplicateDismissal.objects.count()


def outcome(fn):
    try:
        fn()
    except Http404:
        return HIDDEN
    except PermissionDenied:
        return FORBIDDEN
    return OK


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_the_service(world, role):
    user = getattr(world, role)
    for n, key in enumerate(PAIRS):
        a, b = make_pair(world, key, n)
        before = state()
        got = outcome(lambda a=a, b=b: merging.merge(user, a, b))
        assert got == EXPECTED[role][key], (role, key)
        if got != OK:
            assert state() == before
        c, d = make_pair(world, key, n + 10)
        assert outcome(lambda c=c, d=d: dismiss(user, c, d)) == EXPECTED[role][key], ("dismiss", role, key)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_the_api(world, role):
    api = token_client(getattr(world, role))
    for n, key in enumerate(PAIRS):
        a, b = make_pair(world, key, n)
        before = state()
        response = api.post(f"/api/customers/{a.pk}/merge", {"other": b.pk})
        want = EXPECTED[role][key]
        if want == OK:
            assert response.status_code == 200, (role, key, response.content)
            assert response.json()["customer"]["id"] == a.pk
            continue
        a_visible = Customer.objects.visible_to(getattr(world, role)).filter(pk=a.pk).exists()
        missing = api.post(f"/api/customers/{a.pk}/merge", {"other": 10**12})
        if want == FORBIDDEN:
            assert response.status_code == 403, (role, key)
        elif not a_visible:
            assert response.status_code == 404, (role, key)
        else:  # the other file hidden: the field error an id that does not exist gets
            assert response.status_code == 422, (role, key)
            assert response.json() == missing.json() and "other" in response.json()["errors"]
        assert state() == before
        assert "欧阳" not in response.content.decode()


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_the_merge_screen(world, role):
    client = Client()
    client.force_login(getattr(world, role))
    for n, key in enumerate(PAIRS):
        a, b = make_pair(world, key, n)
        want = EXPECTED[role][key]
        page = client.get(f"/duplicates/merge/{a.pk}/", {"other": b.pk})
        assert page.status_code == (200 if want == OK else want), (role, key, page.status_code)
        before = state()
        response = client.post(f"/duplicates/merge/{a.pk}/", {"other": b.pk})
        assert response.status_code == (302 if want == OK else want), (role, key, response.status_code)
        if want == OK:
            assert response["Location"] == f"/customers/{a.pk}/"
            assert not Customer.objects.filter(pk=b.pk).exists()
        else:
            assert state() == before
            assert "欧阳" not in response.content.decode()


def test_files_of_two_properties_or_kinds_are_not_merged(world):
    w = world
    a = make_customer(w.h1, "T1", "杨过")
    for other, field in ((w.c_h2, "other"), (make_customer(w.h1, "T2", "杨过", kind="org"), "other"), (a, "other")):
        with pytest.raises(ValidationError) as e:
            merging.merge(w.gm if other.property_id == w.h1.pk else _group_gm(w), a, other)
        assert field in e.value.message_dict


def _group_gm(w):
    from tests.conftest import make_user
    from yingke.core.roles import Role

    boss = make_user("boss", Role.GENERAL_MANAGER, w.h1)
    boss.properties.add(w.h2)
    return boss
