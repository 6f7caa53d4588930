"""The grading parameters (R-4): W 1–3660 days, p and q 0–100 with at most two decimals,
changed by whoever may GRADE the property (its GM, its administrator), each change recorded
with who and when and shown as old → new; bad input changes nothing; on the page: field errors."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from yingke.grading.policy import policy_changes, policy_of, update_policy


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def test_defaults_then_a_recorded_change(world):
    p = policy_of(world.h1)
    assert (p.window_days, p.a_share, p.b_share, p.nightly) == (60, Decimal(20), Decimal(50), True)
    update_policy(world.gm, world.h1, "90", "25.5", 40, False)
    p = policy_of(world.h1)
    assert (p.window_days, p.a_share, p.b_share, p.nightly) == (90, Decimal("25.50"), Decimal(40), False)
    assert p.updated_by == world.gm
    changes = policy_changes(p)
    assert len(changes) == 1 and changes[0]["who"] == world.gm
    assert [(old, new) for _field, old, new in changes[0]["fields"]] == [
        (60, 90), (Decimal("20.00"), Decimal("25.50")), (Decimal("50.00"), Decimal("40.00")), (True, False)]
    with translation.override("en"):
        assert [(old, new) for _label, old, new in policy_changes(p)[0]["changes"]] == [
            ("60", "90"), ("20", "25.5"), ("50", "40"), ("Yes", "No")]


def test_an_unchanged_save_records_nothing(world):
    update_policy(world.gm, world.h1, 60, "20", "50.00", True)
    assert policy_changes(policy_of(world.h1)) == []


def test_the_administrator_of_the_property_may(world):
    update_policy(world.admin, world.h1, 30, 20, 50, True)
    assert policy_of(world.h1).window_days == 30


@pytest.mark.parametrize("role", ["sm", "am1", "desk", "sup", "gm2"])
def test_other_roles_may_not(world, role):
    with pytest.raises(PermissionDenied):
        update_policy(getattr(world, role), world.h1, 30, 20, 50, True)
    assert policy_of(world.h1).window_days == 60


@pytest.mark.parametrize("w,p,q,nightly,field", [
    (0, 20, 50, True, "window_days"), (3661, 20, 50, True, "window_days"), ("abc", 20, 50, True, "window_days"),
    (True, 20, 50, True, "window_days"), (1.5, 20, 50, True, "window_days"), ("", 20, 50, True, "window_days"),
    (60, "-1", 50, True, "a_share"), (60, "100.01", 50, True, "a_share"), (60, "20.123", 50, True, "a_share"),
    (60, "NaN", 50, True, "a_share"), (60, "1e2", 50, True, "a_share"), (60, "", 50, True, "a_share"),
    (60, None, 50, True, "a_share"), (60, 20, "101", True, "b_share"), (60, 20, "五十", True, "b_share"),
    (60, 20, 50, "yes", "nightly"), (60, 20, "\x00", True, "b_share"),
])
def test_bad_values_are_refused_and_change_nothing(world, w, p, q, nightly, field):
    with pytest.raises(ValidationError) as e:
        update_policy(world.gm, world.h1, w, p, q, nightly)
    assert field in e.value.message_dict
    assert policy_of(world.h1).window_days == 60 and policy_of(world.h1).history.count() == 1


def test_edges_are_accepted(world):
    update_policy(world.gm, world.h1, 3660, "0", "100", True)
    update_policy(world.gm, world.h1, 1, "100.00", "0.01", True)
    p = policy_of(world.h1)
    assert (p.window_days, p.a_share, p.b_share) == (1, Decimal(100), Decimal("0.01"))


def test_the_page_saves_and_shows_the_change_history(world):
    gm = client_for(world.gm)
    response = gm.post(reverse("grading:policy"), {"property": "H1", "window_days": "30", "a_share": "15",
                                                   "b_share": "50", "nightly": "on"})
    assert response.status_code == 302
    with translation.override("en"):
        text = gm.get(reverse("grading:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "60 → <strong>30</strong>" in text and "gm" in text


def test_the_page_shows_field_errors_and_changes_nothing(world):
    gm = client_for(world.gm)
    response = gm.post(reverse("grading:policy"), {"property": "H1", "window_days": "0", "a_share": "20.555",
                                                   "b_share": "50"})
    assert response.status_code == 422
    form = response.context["policy_form"]
    assert "window_days" in form.errors and "a_share" in form.errors
    assert 'class="error"' in response.content.decode()
    assert policy_of(world.h1).window_days == 60


def test_the_page_refuses_a_property_of_someone_else(world):
    response = client_for(world.gm).post(reverse("grading:policy"), {"property": "H2", "window_days": "30",
                                                                      "a_share": "20", "b_share": "50"})
    assert response.status_code == 404
    assert policy_of(world.h2).window_days == 60
