"""R-6.1: a file's account manager changed on the edit form or by PATCH /api/customers/{id}
goes through the one owner mover (control.ownership): an Assignment row (rule "manual", who,
the previous owner), pending claims lapse, the file leaves the sales manager's queue. Clearing
the owner there is refused: back to the pool only by Release, with a reason."""

from django.test import Client
from django.utils.html import escape

from tests.api.helpers import token_client
from yingke.control import claims, ownership
from yingke.control.models import Assignment, Claim, Unassigned
from yingke.customers import services
from yingke.customers.models import Customer

R = Assignment.Rule
FORM = {"kind": "person", "name": "张三", "customer_code": "C001", "mobile": "13812345678", "nationality": "中国"}


def owner_of(c):
    return Customer.objects.get(pk=c.pk).owner_id


def test_control_registers_the_mover():
    assert services.OWNER_MOVER == [ownership.move_edited_owner]


def test_patch_owner_records_an_assignment_and_lapses_pending_claims(world):
    made = claims.claim_by_code(world.am2, world.h1, "C001", "我来").claim  # pending, sm decides
    r = token_client(world.gm).patch(f"/api/customers/{world.c_am1.pk}", {"owner": world.am3.pk,
                                                                          "job_title": "经理"})
    assert r.status_code == 200, r.content
    c = Customer.objects.get(pk=world.c_am1.pk)
    assert (c.owner_id, c.job_title) == (world.am3.pk, "经理")
    rows = list(Assignment.objects.filter(customer=c).values_list("rule", "previous_owner_id", "owner_id", "actor_id"))
    assert rows == [(R.MANUAL, world.am1.pk, world.am3.pk, world.gm.pk)]
    assert Claim.objects.get(pk=made.pk).status == Claim.Status.LAPSED
    assert c.history.first().owner_id == world.am3.pk  # the newest history record shows the new owner


def test_the_edit_form_moves_through_the_mover_and_the_file_leaves_the_queue(world):
    Unassigned.objects.create(property=world.h1, customer=world.c_pool, reason="no rule")
    client = Client()
    client.force_login(world.gm)
    data = {**FORM, "name": "李四", "customer_code": "C004", "mobile": "13612340003", "owner": world.am3.pk}
    r = client.post(f"/customers/{world.c_pool.pk}/edit/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    assert owner_of(world.c_pool) == world.am3.pk
    assert list(Assignment.objects.filter(customer=world.c_pool).values_list("rule", "owner_id")) == [
        (R.MANUAL, world.am3.pk)]
    assert not Unassigned.objects.exists()


def test_an_unchanged_owner_moves_nothing(world):
    r = token_client(world.am1).patch(f"/api/customers/{world.c_am1.pk}", {"owner": world.am1.pk, "job_title": "x"})
    assert r.status_code == 200
    assert not Assignment.objects.exists()


def test_clearing_the_owner_by_patch_is_refused_with_a_field_error(world):
    made = claims.claim_by_code(world.sm, world.h1, "C001", "我来").claim
    r = token_client(world.am1).patch(f"/api/customers/{world.c_am1.pk}", {"owner": None, "job_title": "x"})
    assert r.status_code == 422
    assert "owner" in r.json()["errors"]
    assert owner_of(world.c_am1) == world.am1.pk
    assert Customer.objects.get(pk=world.c_am1.pk).job_title == ""  # nothing saved
    assert Claim.objects.get(pk=made.pk).status == Claim.Status.PENDING
    assert not Assignment.objects.exists()


def test_clearing_the_owner_on_the_edit_form_shows_the_error_on_the_field(world):
    client = Client()
    client.force_login(world.am1)
    r = client.post(f"/customers/{world.c_am1.pk}/edit/", {**FORM, "owner": ""})
    assert r.status_code == 422
    assert escape(r.context["form"].errors["owner"][0]) in r.content.decode()
    assert owner_of(world.c_am1) == world.am1.pk
    assert not Assignment.objects.exists()


def test_the_assign_permission_is_still_asked(world):
    # am1 may not give their file to am2; sm may not give it to am3 (outside the team)
    r = token_client(world.am1).patch(f"/api/customers/{world.c_am1.pk}", {"owner": world.am2.pk})
    assert r.status_code == 422 and "owner" in r.json()["errors"]
    r = token_client(world.sm).patch(f"/api/customers/{world.c_am1.pk}", {"owner": world.am3.pk})
    assert r.status_code == 422
    assert owner_of(world.c_am1) == world.am1.pk
    assert not Assignment.objects.exists()


def test_a_new_file_with_an_owner_is_not_a_move(world):
    r = token_client(world.gm).post("/api/customers", {"property": "H1", "name": "王五", "kind": "person",
                                                         "owner": world.am1.pk})
    assert r.status_code == 201, r.content
    assert owner_of(Customer.objects.get(name="王五")) == world.am1.pk
    assert not Assignment.objects.exists()
