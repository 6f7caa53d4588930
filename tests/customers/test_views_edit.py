"""Create and edit forms, the quick new-guest form (R-2.2, R-2.7, R-2.9, R-12.4)."""

import pytest
from django.urls import reverse

from tests.customers.test_identity import make_id
from yingke.core.permissions import SYSTEM
from yingke.customers.models import Customer, Note, Preference

CREATE = reverse("customers:create")
QUICK = reverse("customers:quick")


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


def person(**extra):
    data = {"kind": "person", "name": "王小明", "customer_code": "", "mobile": "", "email": "", "card_no": "",
            "owner": "", "tag_names": "", "address": "", "special_requests": "", "gender": "", "birth_date": "",
            "nationality": "中国", "id_type": "resident", "id_number": "", "employer": "", "job_title": "",
            "marital_status": "", "temperament": "", "hobbies": "", "habits": "", "religion": "", "taboos": ""}
    data.update(extra)
    return data


def edit_url(customer):
    return reverse("customers:edit", args=[customer.pk])


@pytest.mark.parametrize("role", ["gm", "sm", "am1", "desk"])
def test_create_form_renders_for_editors(client, world, role):
    client.force_login(getattr(world, role))
    response = client.get(CREATE)
    assert response.status_code == 200
    assert ("owner" in response.context["form"].fields) == (role != "desk")


@pytest.mark.parametrize("role", ["sup", "admin"])
def test_create_forbidden_for_other_roles(client, world, role):
    client.force_login(getattr(world, role))
    assert client.get(CREATE).status_code == 403
    assert client.get(QUICK).status_code == 403


def test_create_person_with_id_and_tags(client, world):
    client.force_login(world.am1)
    rid = make_id("11010519880512003")
    response = client.post(CREATE, person(mobile="139 0000 1111", id_number=rid, tag_names="VIP，常客",
                                          owner=world.am1.pk))
    assert response.status_code == 302
    c = Customer.objects.get(name="王小明")
    assert response["Location"] == reverse("customers:detail", args=[c.pk])
    assert c.mobile == "13900001111" and c.owner == world.am1 and c.created_by == world.am1
    assert c.customer_code  # generated
    assert c.birth_date.isoformat() == "1988-05-12" and c.id_number_masked and rid not in c.id_number_masked
    assert sorted(t.name for t in c.tags.all()) == ["VIP", "常客"]
    assert {h.history_user for h in c.history.all()} == {world.am1}


def test_account_manager_cannot_assign_someone_else(client, world):
    client.force_login(world.am1)
    response = client.post(CREATE, person(owner=world.am2.pk))
    assert response.status_code == 422
    assert "owner" in response.context["form"].errors
    assert not Customer.objects.filter(name="王小明").exists()


@pytest.mark.parametrize("fields, error_field", [
    ({"mobile": "12345"}, "mobile"),
    ({"id_number": "110105198805120000"}, "id_number"),  # wrong check digit
    ({"id_number": "ABC"}, "id_number"),
    ({"name": ""}, "name"),
    ({"email": "not-an-email"}, "email"),
    ({"customer_code": "C001"}, "customer_code"),  # already used in H1
    ({"tag_names": "VIP, " + "长" * 31}, "tag_names"),
])
def test_bad_input_gives_field_errors_and_saves_nothing(client, world, fields, error_field):
    client.force_login(world.gm)
    before = Customer.objects.count()
    response = client.post(CREATE, person(**{"tag_names": "新标签", **fields}))
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors.get(error_field), form.errors
    assert Customer.objects.count() == before
    assert not world.h1.tags.exists()
    assert b'class="error"' in response.content


def test_several_errors_at_once(client, world):
    client.force_login(world.gm)
    response = client.post(CREATE, person(mobile="123", id_number="110105198805120000"))
    errors = response.context["form"].errors
    assert "mobile" in errors and "id_number" in errors
    # A form error (email) does not hide the service's errors (mobile, ID): all show at once.
    response = client.post(CREATE, person(mobile="123", id_number="110105198805120000", email="x"))
    assert {"mobile", "id_number", "email"} <= set(response.context["form"].errors)
    assert not Customer.objects.filter(name="王小明").exists()


def test_quick_form_shows_all_errors_at_once(client, world):
    client.force_login(world.desk)
    response = client.post(QUICK, quick(mobile="999", id_number="123", pref_value="高枕"))
    assert {"mobile", "id_number", "pref_category"} <= set(response.context["form"].errors)


def test_create_organisation_ignores_person_fields(client, world):
    client.force_login(world.gm)
    data = person(kind="org", name="迎客科技有限公司", nature="private", business="软件", agreed_room_rate="680",
                  discount_rate="0.85", payment_method="月结", credit_terms="30天", legal_representative="李某",
                  main_needs="会议", gender="M", job_title="should be ignored")
    response = client.post(CREATE, data)
    assert response.status_code == 302, response.context["form"].errors
    c = Customer.objects.get(name="迎客科技有限公司")
    assert c.is_organisation and c.nature == "private" and str(c.discount_rate) == "0.850"
    assert c.gender == "" and c.job_title == ""


def test_edit_changes_and_records_history(client, world):
    client.force_login(world.am1)
    c = world.c_am1
    response = client.get(edit_url(c))
    assert response.status_code == 200
    form = response.context["form"]
    data = {name: (form[name].value() or "") for name in form.fields}
    data.update(job_title="总监", employer="迎客集团", owner=world.am1.pk)
    response = client.post(edit_url(c), data)
    assert response.status_code == 302, response.context["form"].errors
    c.refresh_from_db()
    assert c.job_title == "总监" and c.mobile == "13812345678"
    assert c.history.first().history_user == world.am1


def test_edit_keeps_or_clears_the_id_number(client, world):
    from yingke.customers.services import id_number_of, save_customer

    c = world.c_am1
    rid = make_id("11010519880512003")
    c.id_type = "resident"
    save_customer(SYSTEM, c, id_number=rid)
    client.force_login(world.gm)
    form = client.get(edit_url(c)).context["form"]
    assert form["id_number"].value() in (None, "")  # never sent to the browser
    assert c.id_number_masked in str(form["id_number"].help_text)
    data = {name: (form[name].value() or "") for name in form.fields}
    data["owner"] = world.am1.pk
    assert client.post(edit_url(c), data).status_code == 302
    c.refresh_from_db()
    assert id_number_of(c) == rid
    data["clear_id_number"] = "on"
    assert client.post(edit_url(c), data).status_code == 302
    c.refresh_from_db()
    assert c.id_number_masked == "" and c.id_number_enc == ""


def test_edit_with_errors_saves_nothing(client, world):
    client.force_login(world.gm)
    c = world.c_am1
    form = client.get(edit_url(c)).context["form"]
    data = {name: (form[name].value() or "") for name in form.fields}
    data.update(name="张三丰", mobile="000", owner=world.am1.pk)
    response = client.post(edit_url(c), data)
    assert response.status_code == 422 and "mobile" in response.context["form"].errors
    c.refresh_from_db()
    assert c.name == "张三" and c.mobile == "13812345678"
    assert c.history.count() == 1


def test_edit_permissions(client, world):
    client.force_login(world.sup)  # sees the file, may not edit it
    assert client.get(edit_url(world.c_am1)).status_code == 403
    client.force_login(world.am1)
    assert client.get(edit_url(world.c_am2)).status_code == 404
    client.force_login(world.desk)  # front desk looks up and annotates; opens new files only
    assert client.get(edit_url(world.c_am1)).status_code == 403
    assert client.get(reverse("customers:quick")).status_code == 200


def test_edit_button_only_for_editors(client, world):
    url = reverse("customers:detail", args=[world.c_am1.pk])
    client.force_login(world.sup)
    assert edit_url(world.c_am1).encode() not in client.get(url).content
    client.force_login(world.am1)
    assert edit_url(world.c_am1).encode() in client.get(url).content


# The quick new-guest form.

def quick(**extra):
    data = {"name": "赵六", "mobile": "13700001234", "gender": "F", "id_type": "resident", "id_number": "",
            "pref_category": "", "pref_value": "", "note": ""}
    data.update(extra)
    return data


def test_quick_form_creates_file_with_preference_and_note(client, world):
    client.force_login(world.desk)
    assert client.get(QUICK).status_code == 200
    response = client.post(QUICK, quick(pref_category="pillow", pref_value="高枕", note="晚到，约23点"))
    c = Customer.objects.get(name="赵六")
    assert response.status_code == 302 and response["Location"] == reverse("customers:detail", args=[c.pk])
    assert c.property == world.h1 and c.owner is None and c.customer_code.startswith("G")
    assert c.gender == "F" and c.mobile == "13700001234" and c.id_type == ""
    assert Preference.objects.get(customer=c).value == "高枕"
    assert Note.objects.get(customer=c).author == world.desk


def test_quick_form_with_id_number(client, world):
    client.force_login(world.desk)
    rid = make_id("11010519900101005")
    assert client.post(QUICK, quick(id_number=rid, gender="")).status_code == 302
    c = Customer.objects.get(name="赵六")
    assert c.id_type == "resident" and c.birth_date.isoformat() == "1990-01-01" and c.gender == "M"


@pytest.mark.parametrize("fields, error_field", [
    ({"name": ""}, "name"),
    ({"mobile": "999"}, "mobile"),
    ({"id_number": "110105199001010000"}, "id_number"),
    ({"pref_value": "高枕"}, "pref_category"),
    ({"pref_category": "pillow"}, "pref_value"),
])
def test_quick_form_errors_save_nothing(client, world, fields, error_field):
    client.force_login(world.desk)
    before = Customer.objects.count()
    response = client.post(QUICK, quick(note="备注", **fields))
    assert response.status_code == 422
    assert response.context["form"].errors.get(error_field), response.context["form"].errors
    assert Customer.objects.count() == before
    assert not Note.objects.exists() and not Preference.objects.exists()


def test_quick_form_asks_for_the_property_when_several(client, world):
    world.desk.properties.add(world.h2)
    client.force_login(world.desk)
    response = client.get(QUICK)
    assert "property" in response.context["form"].fields
    assert client.post(QUICK, quick(property=world.h2.pk)).status_code == 302
    assert Customer.objects.get(name="赵六").property == world.h2


def test_mobile_check_shows_only_visible_files(client, world):
    url = reverse("customers:mobile_check")
    client.force_login(world.am1)
    assert "张三" in client.get(url, {"mobile": "138 1234 5678"}).content.decode()
    assert "单田芳" not in client.get(url, {"mobile": "13912340001"}).content.decode()  # am2's file
    assert client.get(url, {"mobile": "abc"}).content.strip() == b""
