"""Every change goes through a service that asks core.permissions (R-1.2), so the UI, the
API, the command line and jobs cannot differ: the same calls, refused the same way."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from tests.conftest import make_customer
from yingke.core.permissions import SYSTEM
from yingke.customers import services
from yingke.customers.models import Customer, Note
from yingke.imports.customers import CustomerImporter
from yingke.imports.pipeline import REJECTED, run_import


def test_a_file_the_actor_may_not_see_is_not_found(world):
    world.c_am3.job_title = "x"
    for actor in (world.am1, world.admin, world.gm2, None):
        with pytest.raises(Http404):
            services.save_customer(actor, world.c_am3)
        with pytest.raises(Http404):
            services.add_note(actor, world.c_am3, "hello")
    assert not Note.objects.exists()
    assert Customer.objects.get(pk=world.c_am3.pk).job_title == ""


def test_annotators_may_not_change_regular_information(world):
    for actor in (world.desk, world.sup):
        world.c_am1.job_title = "经理"
        with pytest.raises(PermissionDenied):
            services.save_customer(actor, world.c_am1)
        services.add_note(actor, world.c_am1, "到店")  # but they annotate
    assert Customer.objects.get(pk=world.c_am1.pk).job_title == ""
    assert Note.objects.filter(customer=world.c_am1).count() == 2


def test_new_files_only_in_the_actors_properties_and_by_roles_that_open_files(world):
    with pytest.raises(PermissionDenied):
        make_customer(world.h2, "X1", "外店客", actor=world.am1)
    for actor in (world.sup, world.admin):
        with pytest.raises(PermissionDenied):
            make_customer(world.h1, "X2", "新客", actor=actor)
    assert make_customer(world.h1, "X3", "新客", actor=world.desk).owner is None


def test_owner_must_be_one_the_actor_may_assign(world):
    with pytest.raises(ValidationError) as e:
        make_customer(world.h1, "X4", "新客", owner=world.am2, actor=world.am1)
    assert "owner" in e.value.message_dict
    world.c_am1.owner = world.am3  # outside the sales manager's team
    with pytest.raises(ValidationError):
        services.save_customer(world.sm, world.c_am1)
    world.c_am1.owner = world.am2
    services.save_customer(world.sm, world.c_am1)  # within the team
    assert Customer.objects.get(pk=world.c_am1.pk).owner == world.am2


def test_a_file_stays_in_its_property(world):
    world.c_am1.property = world.h2
    with pytest.raises(ValidationError):
        services.save_customer(world.gm, world.c_am1)


def test_import_by_a_member_of_staff_is_held_to_their_rights(world, tmp_path):
    """`yingke import customers --user am1`: rows for files am1 may not change are rejected."""
    path = tmp_path / "c.csv"
    path.write_text("客户编号,姓名,职务\nC003,曾国藩,总督\nC001,张三,经理\n", encoding="utf-8")
    results = []
    run_import(CustomerImporter(world.h1, world.am1), path, on_result=results.append)
    assert [r.outcome for r in results][0] == REJECTED  # C003 belongs to am3
    assert Customer.objects.get(pk=world.c_am3.pk).job_title == ""
    assert Customer.objects.get(pk=world.c_am1.pk).job_title == "经理"
    results.clear()
    run_import(CustomerImporter(world.h1, SYSTEM), path, on_result=results.append)
    assert Customer.objects.get(pk=world.c_am3.pk).job_title == "总督"
