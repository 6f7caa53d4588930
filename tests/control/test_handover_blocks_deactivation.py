"""R-1.3: a member of staff who still holds work (guest files, pending claims, targets of
coming periods …) cannot be deactivated, lose the property of that work or move to a role
that cannot own files; the message names the handover. After the handover they can."""

import datetime as dt

import pytest
from django.utils import translation

from tests.conftest import make_customer
from yingke.control.handover import handover
from yingke.control.models import Claim, PositionTarget
from yingke.core import services
from yingke.core.models import User
from yingke.core.services import Conflict
from yingke.customers.models import Customer


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_files_block_and_the_message_points_to_the_handover(world):
    with pytest.raises(Conflict) as e:
        services.set_active(world.gm, world.am1, False)
    text = " ".join(e.value.messages)
    assert "1 guest file" in text and "Hand over work" in text and "yingke handover --from am1" in text
    assert User.objects.get(pk=world.am1.pk).is_active


def test_a_pending_claim_blocks_too(world):
    Claim.objects.create(property=world.h1, customer=world.c_am3, claimant=world.am2, owner=world.am3, reason="熟客")
    with pytest.raises(Conflict):
        services.set_active(world.gm, world.am2, False)
    handover(world.gm, world.am2, to=world.am1, reason="离职")  # hands the files and withdraws the claim
    assert services.set_active(world.gm, world.am2, False).is_active is False


def test_only_a_claim_blocks(world):
    Customer.objects.filter(pk=world.c_am2.pk).update(owner=None)
    Claim.objects.create(property=world.h1, customer=world.c_am3, claimant=world.am2, owner=world.am3, reason="熟客")
    with pytest.raises(Conflict) as e:
        services.set_active(world.gm, world.am2, False)
    text = " ".join(e.value.messages)
    assert "pending claims they made 1" in text and "guest file" not in text
    with pytest.raises(Conflict):  # nor a role that cannot own files
        services.update_staff(world.gm, world.am2, role="front_desk")
    handover(world.gm, world.am2, by_rules=True, reason="离职")
    assert services.set_active(world.gm, world.am2, False).is_active is False


def test_a_target_of_a_coming_period_blocks(world):
    Customer.objects.filter(owner=world.am3).update(owner=None)
    start = world.h1.local_today() + dt.timedelta(days=40)
    PositionTarget.objects.create(property=world.h1, user=world.am3, kind="month", start=start.replace(day=1),
                                  visits=3)
    with pytest.raises(Conflict) as e:
        services.set_active(world.gm, world.am3, False)
    assert "position targets" in " ".join(e.value.messages)


def test_dropping_a_property_counts_only_its_work(world):
    world.am3.properties.add(world.h2)
    make_customer(world.h2, "C060", "周九", owner=world.am3)
    with pytest.raises(Conflict) as e:
        services.update_staff(world.gm, world.am3, properties=[])
    assert "properties" in e.value.message_dict and "1 guest file" in e.value.message_dict["properties"][0]
    handover(world.gm, world.am3, to=world.am2, reason="离职")
    # H1's work is handed over; the GM configures H1 only, so H2 (and its file) is kept as it is
    services.update_staff(world.gm, world.am3, properties=[])
    assert list(world.am3.properties.values_list("code", flat=True)) == ["H2"]


def test_after_the_handover_the_member_can_leave(world):
    handover(world.gm, world.am1, to=world.am2, reason="离职")
    assert services.set_active(world.gm, world.am1, False).is_active is False


def test_a_sales_manager_leaves_after_handing_the_team_over(world):
    with pytest.raises(Conflict):
        services.set_active(world.gm, world.sm, False)
    handover(world.gm, world.sm, by_rules=True, reason="离职")
    assert services.set_active(world.gm, world.sm, False).is_active is False
