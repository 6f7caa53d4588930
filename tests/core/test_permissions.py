"""R-1.2: the row-level rule, per role, for every model that holds customer data."""

from decimal import Decimal

import pytest
from django.utils import timezone

from tests.conftest import CUSTOMERS, EXPECTED
from yingke.core.permissions import SYSTEM
from yingke.customers.models import ContactLink, Customer, Note, Preference, SpecialDate
from yingke.customers.services import add_note, add_preference, link_contact, save_special_date
from yingke.visits.models import Visit


@pytest.fixture
def filled(world):
    """Every customer gets one row of each dependent model."""
    for key in CUSTOMERS:
        c = getattr(world, key)
        add_preference(SYSTEM, c, Preference.Category.TEA, "龙井")
        add_note(SYSTEM, c, f"note {key}")
        save_special_date(SYSTEM, SpecialDate(customer=c, month=5, day=1))
        Visit.objects.create(property=c.property, customer=c, occurred_at=timezone.now(), amount=Decimal("100.00"))
        from tests.conftest import make_customer

        org = make_customer(c.property, f"ORG-{key}", f"单位{key}", kind=Customer.Kind.ORGANISATION, owner=c.owner)
        link_contact(SYSTEM, org, c)
    return world


def labels(world, customers):
    ids = {getattr(world, k).id: k for k in CUSTOMERS}
    return {ids[c] for c in customers if c in ids}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_customers_visible_per_role(filled, role):
    user = getattr(filled, role)
    seen = Customer.objects.visible_to(user).values_list("id", flat=True)
    assert labels(filled, seen) == EXPECTED[role]


@pytest.mark.parametrize("model", [Preference, Note, SpecialDate, Visit])
@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_dependent_rows_follow_their_customer(filled, role, model):
    user = getattr(filled, role)
    seen = model.objects.visible_to(user).values_list("customer_id", flat=True)
    assert labels(filled, seen) == EXPECTED[role]
    assert len(seen) == len(EXPECTED[role])


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_contacts_follow_their_organisation(filled, role):
    user = getattr(filled, role)
    seen = ContactLink.objects.visible_to(user).values_list("person_id", flat=True)
    assert labels(filled, seen) == EXPECTED[role]


def test_inactive_and_anonymous_see_nothing(filled):
    from django.contrib.auth.models import AnonymousUser

    filled.gm.is_active = False
    filled.gm.save()
    assert not Customer.objects.visible_to(filled.gm).exists()
    assert not Customer.objects.visible_to(AnonymousUser()).exists()
    assert not Customer.objects.visible_to(None).exists()


def test_reassignment_moves_visibility(filled):
    c = filled.c_pool
    c.owner = filled.am3
    c.save()
    assert c not in Customer.objects.visible_to(filled.am1)
    assert c in Customer.objects.visible_to(filled.am3)
    assert c not in Customer.objects.visible_to(filled.sm)


def test_editable_by(world):
    assert not Customer.objects.editable_by(world.sup).exists()
    assert not Customer.objects.editable_by(world.admin).exists()
    assert not Customer.objects.editable_by(world.desk).exists()  # looks up and annotates only
    assert set(Customer.objects.editable_by(world.am1)) == {world.c_am1, world.c_pool}


def test_rule_is_one_query(filled, django_assert_num_queries):
    user = filled.sm
    user.property_ids()  # the user's properties are read once per request
    with django_assert_num_queries(1):
        list(Preference.objects.visible_to(user))


def test_who_can_be_responsible_for_files(world):
    """OWN (R-6.1): active account and sales managers only; the same set assignment offers."""
    from yingke.core import permissions

    assert permissions.can(world.gm, permissions.OWN, world.am1)
    assert permissions.can(world.gm, permissions.OWN, world.sm)
    for staff in (world.desk, world.sup, world.admin, world.gm):
        assert not permissions.can(world.gm, permissions.OWN, staff)
    world.am3.is_active = False
    world.am3.save(update_fields=["is_active"])
    assert not permissions.can(world.gm, permissions.OWN, world.am3)
    offered = set(permissions.assignable_owners(world.gm, world.h1))
    assert offered == {world.sm, world.am1, world.am2}
