"""Profiles list outlets by name (R-2.3): renaming an outlet (core.services.update_outlet)
refreshes the profiles of the customers with visits there, through the core signal
outlet_renamed (core imports no domain app); other profiles are not touched."""

import datetime as dt

from django.utils import timezone

from yingke.core import services as core_services
from yingke.core.models import Outlet
from yingke.customers.models import Customer
from yingke.visits.services import record_visit


def yesterday():
    return timezone.make_aware(dt.datetime.combine(timezone.localdate() - dt.timedelta(days=1), dt.time(19)))


def test_the_new_name_replaces_the_old_in_profiles(world):
    outlet = Outlet.objects.get(property=world.h1, code="CN")
    other = Outlet.objects.create(property=world.h1, code="WS", name="西餐厅")
    record_visit(world.gm, world.c_am1, occurred_at=yesterday(), amount=100, outlet=outlet)
    record_visit(world.gm, world.c_am2, occurred_at=yesterday(), amount=100, outlet=other)
    assert "中餐厅" in str(Customer.objects.get(pk=world.c_am1.pk).consumption)
    untouched = Customer.objects.get(pk=world.c_am2.pk).consumption

    core_services.update_outlet(world.gm, outlet, name="粤菜馆")

    consumption = Customer.objects.get(pk=world.c_am1.pk).consumption
    assert "粤菜馆" in str(consumption) and "中餐厅" not in str(consumption)
    assert Customer.objects.get(pk=world.c_am2.pk).consumption == untouched


def test_a_change_without_a_new_name_sends_nothing(world):
    from yingke.core.signals import outlet_renamed

    outlet = Outlet.objects.get(property=world.h1, code="CN")
    sent = []

    def listen(**kwargs):
        sent.append(kwargs["old_name"])

    outlet_renamed.connect(listen)
    try:
        core_services.update_outlet(world.gm, outlet, capacity=25)
        core_services.update_outlet(world.gm, Outlet.objects.get(pk=outlet.pk), name="粤菜馆")
    finally:
        outlet_renamed.disconnect(listen)
    assert sent == ["中餐厅"]
