"""R-5.1: each file belongs to one module of its property, set by hand (form, service), suggested
from the organisation's nature for a new file, chosen from either file in a merge."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from tests.conftest import make_customer
from yingke.core.permissions import SYSTEM
from yingke.customers import merge as merging
from yingke.customers.forms import CustomerForm
from yingke.customers.models import Customer, Module
from yingke.customers.modules import suggest_module
from yingke.customers.services import save_customer


def module(prop, code):
    return Module.objects.get(property=prop, code=code)


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def test_the_suggestion_follows_the_kind_and_the_organisations_nature(world):
    h1 = world.h1
    assert suggest_module(Customer(property=h1, kind=Customer.Kind.PERSON)).code == "family"
    for nature, code in (("government", "government"), ("soe", "soe"), ("institution", "institution"),
                         ("private", "private"), ("foreign", "private"), ("other", None), ("", None)):
        found = suggest_module(Customer(property=h1, kind=Customer.Kind.ORGANISATION, nature=nature))
        assert (found.code if found else None) == code, nature
    family = module(h1, "family")
    family.is_active = False
    family.save()
    assert suggest_module(Customer(property=h1, kind=Customer.Kind.PERSON)) is None
    assert suggest_module(Customer(kind=Customer.Kind.PERSON)) is None  # no property yet


def test_a_file_takes_a_module_of_its_own_property_in_use(world):
    c = world.c_am1
    c.module = module(world.h2, "government")
    with translation.override("en"), pytest.raises(ValidationError) as e:
        save_customer(world.am1, c)
    assert e.value.message_dict["module"] == ["Choose a module of this file's property."]
    gov = module(world.h1, "government")
    c.module = gov
    save_customer(world.am1, c)
    assert Customer.objects.get(pk=c.pk).module == gov
    assert c.history.first().module_id == gov.pk  # the change is in the file's history
    gov.is_active = False
    gov.save()
    c.name = "张三丰"
    save_customer(world.am1, c)  # a file keeps a module taken out of use
    other = world.c_am2
    other.module = gov
    with translation.override("en"), pytest.raises(ValidationError) as e:
        save_customer(world.am2, other)
    assert "no longer in use" in e.value.message_dict["module"][0]
    with pytest.raises(ValidationError) as e:  # both problems at once
        save_customer(world.am2, Customer(pk=other.pk, property=world.h1, customer_code="C002", name="",
                                          module=gov, owner=world.am2))
    assert {"module", "name"} <= set(e.value.message_dict)


def test_the_form_offers_the_modules_in_use_and_suggests_one_for_a_new_file(world):
    form = CustomerForm(user=world.am1, instance=Customer(kind=Customer.Kind.PERSON))
    codes = [m.code for m in form.fields["module"].queryset]
    assert codes == ["government", "soe", "institution", "private", "out_of_town", "family"]
    assert form.initial["module"] == module(world.h1, "family").pk
    soe = module(world.h1, "soe")
    soe.is_active = False
    soe.save()
    assert "soe" not in [m.code for m in CustomerForm(user=world.am1, instance=world.c_am1).fields["module"].queryset]
    world.c_am1.module = soe
    world.c_am1.save()
    assert "soe" in [m.code for m in CustomerForm(user=world.am1, instance=world.c_am1).fields["module"].queryset]


def test_the_edit_page_sets_the_module_and_a_page_without_the_field_keeps_it(world):
    client = client_for(world.am1)
    gov = module(world.h1, "government")
    data = {"kind": "person", "name": "张三", "customer_code": "C001", "mobile": "13812345678",
            "owner": world.am1.pk, "nationality": "中国"}
    r = client.post(f"/customers/{world.c_am1.pk}/edit/", {**data, "module": gov.pk})
    assert r.status_code == 302, r.content.decode()[:3000]
    assert Customer.objects.get(pk=world.c_am1.pk).module == gov
    r = client.post(f"/customers/{world.c_am1.pk}/edit/", data)  # a form that does not show the module
    assert r.status_code == 302
    assert Customer.objects.get(pk=world.c_am1.pk).module == gov
    r = client.post(f"/customers/{world.c_am1.pk}/edit/", {**data, "module": ""})  # chosen: none
    assert Customer.objects.get(pk=world.c_am1.pk).module is None
    r = client.post(f"/customers/{world.c_am1.pk}/edit/", {**data, "module": module(world.h2, "soe").pk})
    assert r.status_code == 422
    assert Customer.objects.get(pk=world.c_am1.pk).module is None


def test_a_merge_chooses_the_module_from_either_file(world):
    gov, private = module(world.h1, "government"), module(world.h1, "private")
    a = make_customer(world.h1, "M1", "王五", owner=world.am1)
    b = make_customer(world.h1, "M2", "王五", owner=world.am1, module=gov)
    assert merging.default_choices(a, b)["module"] == merging.MERGED  # the survivor has none
    record = merging.merge(world.am1, a, b)
    a.refresh_from_db()
    assert a.module == gov and record.snapshot["module"] == gov.pk
    c = make_customer(world.h1, "M3", "王五", owner=world.am1, module=private)
    assert merging.default_choices(a, c)["module"] == merging.KEPT
    merging.merge(world.am1, a, c, {"module": "merged"})
    a.refresh_from_db()
    assert a.module == private
    d = make_customer(world.h1, "M4", "王五", owner=world.am1, module=gov)
    gov.is_active = False
    gov.save()
    with pytest.raises(ValidationError):
        merging.merge(world.am1, a, d, {"module": "merged"})  # a module out of use is not put on a file
    assert Customer.objects.filter(pk=d.pk).exists()


def test_the_merge_screen_and_api_offer_the_module(world):
    gov = module(world.h1, "government")
    a = make_customer(world.h1, "M1", "王五", owner=world.am1, actor=SYSTEM)
    b = make_customer(world.h1, "M2", "王五", owner=world.am1, module=gov)
    page = client_for(world.am1).get(f"/duplicates/merge/{a.pk}/", {"other": b.pk}).content.decode()
    assert 'name="choice_module"' in page and "政府" in page
    from tests.api.helpers import token_client

    r = token_client(world.am1).post(f"/api/customers/{a.pk}/merge", {"other": b.pk, "choices": {"module": "kept"}})
    assert r.status_code == 200, r.content
    assert Customer.objects.get(pk=a.pk).module is None
