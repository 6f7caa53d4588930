"""R-1.3: the handover screen — what a member holds (counts, no customer names), to a member
or by the rules with a required reason, a result message; the staff page links to it; who may
open it (every role)."""

import pytest
from django.test import Client

from tests.conftest import make_customer
from yingke.control.models import Assignment, Handover
from yingke.customers.models import Customer

URL = "/control/handover/{}/"


def client_for(user):
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def test_the_screen_shows_counts_per_kind_and_property_without_names(world, django_assert_max_num_queries):
    for i in range(5):
        make_customer(world.h1, f"C1{i}", f"客人{i}", owner=world.am1)
    client = client_for(world.admin)
    with django_assert_max_num_queries(20):
        response = client.get(URL.format(world.am1.pk))
    assert response.status_code == 200
    text = response.content.decode()
    assert "guest files" in text and ">6<" in text and "H1" in text
    assert "张三" not in text and "客人1" not in text  # the administrator sees no guest file
    assert 'name="reason"' in text and 'value="rules"' in text
    options = response.context["form"].fields["to"].queryset
    assert {u.username for u in options} == {"sm", "am2", "am3"}


def test_hand_over_to_a_member_then_the_result(world):
    make_customer(world.h1, "C010", "王五", owner=world.am1)
    client = client_for(world.gm)
    response = client.post(URL.format(world.am1.pk), {"mode": "member", "to": world.am3.pk, "reason": "离职"},
                           follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Handed over" in text and "am3" in text and "guest files 2" in text
    assert "Nothing left to hand over" in text and "离职" in text  # and the handover in the history
    assert set(Customer.objects.filter(owner=world.am3).values_list("customer_code", flat=True)) == {
        "C001", "C003", "C010"}
    # the new owner's list shows them at once
    listed = client_for(world.am3).get("/customers/").content.decode()
    assert "王五" in listed and "张三" in listed


def test_hand_over_by_the_rules(world):
    client = client_for(world.gm)
    response = client.post(URL.format(world.am1.pk), {"mode": "rules", "reason": "离职"})
    assert response.status_code == 302
    assert Customer.objects.get(pk=world.c_am1.pk).owner_id not in (world.am1.pk, None)
    assert Handover.objects.get().to_user is None


@pytest.mark.parametrize("data", [
    {"mode": "member", "reason": "离职"},  # nobody chosen
    {"mode": "member", "to": "999999", "reason": "离职"},
    {"mode": "member", "to": "x", "reason": "离职"},
    {"mode": "member", "to": "12345678901234567890123", "reason": "离职"},
    {"mode": "rules", "reason": ""},
    {"mode": "rules", "reason": "\x00"},
    {"mode": "rules", "reason": "\x07 bell"},
    {"mode": "rules", "reason": "x" * 301},
    {"mode": "sideways", "reason": "离职"},
    {},
])
def test_bad_input_changes_nothing(world, data):
    response = client_for(world.gm).post(URL.format(world.am1.pk), data)
    assert response.status_code == 422
    assert Customer.objects.get(pk=world.c_am1.pk).owner_id == world.am1.pk
    assert not Handover.objects.exists() and not Assignment.objects.exists()


def test_the_services_refusal_shows_on_the_form(world):
    """am_h2 passes the form (not in its choices: a field error) — the service would refuse too."""
    response = client_for(world.gm).post(URL.format(world.am1.pk),
                                         {"mode": "member", "to": world.am_h2.pk, "reason": "离职"})
    assert response.status_code == 422 and response.context["form"].errors["to"]


@pytest.mark.parametrize("who, status", [
    ("gm", 200), ("admin", 200), ("sm", 403), ("am1", 403), ("am2", 403), ("desk", 403), ("sup", 403),
    ("gm2", 404), ("am_h2", 403),
])
def test_who_may_open_and_post(world, who, status):
    client = client_for(getattr(world, who))
    target = world.am1 if who != "am1" else world.am2
    assert client.get(URL.format(target.pk)).status_code == status
    posted = client.post(URL.format(target.pk), {"mode": "member", "to": world.am3.pk, "reason": "离职"})
    assert posted.status_code == (302 if status == 200 else status)
    moved = Handover.objects.exists()
    assert moved == (status == 200)


def test_unknown_member_is_404(world):
    client = client_for(world.gm)
    assert client.get(URL.format(999999)).status_code == 404
    assert client.get(URL.format(world.gm.pk)).status_code == 403  # oneself
    assert Client().get(URL.format(world.am1.pk)).status_code == 302  # to the login page


def test_the_staff_page_links_to_the_handover_when_they_hold_anything(world):
    client = client_for(world.gm)
    page = client.get(f"/settings/staff/{world.am1.pk}/").content.decode()
    assert URL.format(world.am1.pk) in page
    assert URL.format(world.desk.pk) not in client.get(f"/settings/staff/{world.desk.pk}/").content.decode()
    # a failed deactivation says so, naming the handover
    response = client.post(f"/settings/staff/{world.am1.pk}/active/", {"active": "0"}, follow=True)
    assert "Hand over work" in response.content.decode()
    client.post(URL.format(world.am1.pk), {"mode": "member", "to": world.am2.pk, "reason": "离职"})
    page = client.get(f"/settings/staff/{world.am1.pk}/").content.decode()
    assert URL.format(world.am1.pk) not in page and f"/settings/staff/{world.am1.pk}/active/" in page
