"""R-5.1, R-5.2: the module list and its targets are configured by who configures the property
(general manager, administrator); modules are never deleted while in use, only taken out of
use; targets cover a month, a quarter, a year or a range, never two overlapping; the general
manager gives files without a module their suggested one in bulk."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from tests.conftest import make_customer
from yingke.core.models import AuditEvent
from yingke.core.permissions import NotVisible
from yingke.customers.models import Customer, Module
from yingke.customers.modules import apply_suggestions
from yingke.grading import segments
from yingke.grading.models import ModuleTarget


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def test_each_property_has_the_six_default_modules(world):
    codes = list(Module.objects.filter(property=world.h1).values_list("code", flat=True))
    assert codes == ["government", "soe", "institution", "private", "out_of_town", "family"]


@pytest.mark.parametrize("role,status", [("gm", 200), ("admin", 200), ("sm", 403), ("am1", 403), ("desk", 403),
                                         ("sup", 403)])
def test_who_may_open_the_module_pages(world, role, status):
    client = client_for(getattr(world, role))
    module = Module.objects.filter(property=world.h1).first()
    for url in ("/grading/modules/", "/grading/modules/new/", f"/grading/modules/{module.pk}/",
                f"/grading/modules/{module.pk}/targets/", "/grading/loss-reasons/"):
        assert client.get(url).status_code == status, url


def test_a_module_of_another_property_is_not_found(world):
    client = client_for(world.gm2)
    module = Module.objects.filter(property=world.h1).first()
    assert client.get(f"/grading/modules/{module.pk}/").status_code == 404
    assert client.get(f"/grading/modules/{module.pk}/targets/").status_code == 404
    assert client.get("/grading/modules/?property=H1").status_code == 404
    assert client.post(f"/grading/modules/{module.pk}/", {"code": "x", "name": "x", "sort_order": 1}).status_code \
        == 404
    assert Module.objects.get(pk=module.pk).code == module.code


def test_add_and_edit_a_module_with_natures_as_checkboxes(world):
    client = client_for(world.gm)
    page = client.get("/grading/modules/")
    assert "政府" in page.content.decode() and "被宴请" in page.content.decode()
    r = client.post("/grading/modules/new/?property=H1", {
        "code": "foreign", "name": "外企", "occasions": "商务宴请，业务接待", "natures": ["foreign", "private"],
        "sort_order": 7, "is_active": "on"})
    assert r.status_code == 302, r.content.decode()[:2000]
    module = Module.objects.get(property=world.h1, code="foreign")
    assert (module.name, module.occasions, module.natures, module.is_active) == (
        "外企", "商务宴请, 业务接待", "private,foreign", True)
    r = client.post(f"/grading/modules/{module.pk}/", {"code": "foreign", "name": "外资企业", "natures": [],
                                                       "sort_order": 8})
    assert r.status_code == 302
    module.refresh_from_db()
    assert (module.name, module.natures, module.is_active, module.sort_order) == ("外资企业", "", False, 8)
    events = list(AuditEvent.objects.filter(action__startswith="config.module.").order_by("id")
                  .values_list("action", flat=True))
    assert events == ["config.module.create", "config.module.update"]
    assert module.history.count() >= 1


def test_bad_module_input_shows_field_errors_and_changes_nothing(world):
    client = client_for(world.gm)
    with translation.override("en"):
        r = client.post("/grading/modules/new/?property=H1", {"code": "government", "name": "政府",
                                                              "natures": ["martian"], "sort_order": 1},
                        HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422
    assert Module.objects.filter(property=world.h1).count() == 6
    with pytest.raises(ValidationError) as e:
        segments.create_module(world.gm, world.h1, code="government", name="政府2")
    assert "code" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        segments.create_module(world.gm, world.h1, code="x1", name="政府")
    assert "name" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        segments.create_module(world.gm, world.h1, code="bad code!", name="名\x00字", natures=["martian"])
    assert set(e.value.message_dict) == {"code", "name", "natures"}
    with pytest.raises(PermissionDenied):
        segments.create_module(world.am1, world.h1, code="x2", name="新")


def test_a_module_in_use_is_taken_out_of_use_never_deleted(world):
    gov = Module.objects.get(property=world.h1, code="government")
    world.c_am1.module = gov
    world.c_am1.save(update_fields=["module"])
    with pytest.raises(ValidationError):
        segments.delete_module(world.gm, gov)
    segments.update_module(world.gm, gov, is_active=False)
    world.c_am1.refresh_from_db()
    assert world.c_am1.module_id == gov.pk  # the file keeps it
    spare = segments.create_module(world.gm, world.h1, code="spare", name="备用")
    segments.delete_module(world.gm, spare)
    assert not Module.objects.filter(pk=spare.pk).exists()


def test_targets_per_month_quarter_year_and_no_overlap(world):
    gov = Module.objects.get(property=world.h1, code="government")
    month = segments.create_target(world.gm, gov, period="month", start=dt.date(2026, 2, 14), customers=10,
                                   visits=40, amount=Decimal("50000"))
    assert (month.period_start, month.period_end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    quarter = segments.create_target(world.gm, gov, period="quarter", start=dt.date(2026, 5, 5), customers=1,
                                     visits=1, amount=1)
    assert (quarter.period_start, quarter.period_end) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    with translation.override("en"), pytest.raises(ValidationError) as e:
        segments.create_target(world.gm, gov, period="year", start=dt.date(2026, 1, 1))
    assert "2026-02-01" in e.value.message_dict["start"][0]  # names the overlapping target
    with pytest.raises(ValidationError) as e:
        segments.create_target(world.gm, gov, period="custom", start=dt.date(2026, 3, 10), end=dt.date(2026, 3, 1))
    assert "end" in e.value.message_dict
    custom = segments.create_target(world.gm, gov, period="custom", start=dt.date(2026, 3, 1),
                                    end=dt.date(2026, 3, 31), amount=Decimal("12.50"))
    with pytest.raises(ValidationError):
        segments.update_target(world.gm, custom, period="custom", start=dt.date(2026, 2, 20), end=dt.date(2026, 3, 31))
    segments.update_target(world.gm, custom, customers=5, amount=Decimal("99.99"))
    custom.refresh_from_db()
    assert (custom.customers, custom.amount) == (5, Decimal("99.99"))
    for bad in ({"customers": -1}, {"visits": "many"}, {"amount": Decimal("1.005")}, {"amount": "x"}):
        with pytest.raises(ValidationError):
            segments.update_target(world.gm, custom, **bad)
    # another module may have a target for the same days
    segments.create_target(world.gm, Module.objects.get(property=world.h1, code="soe"), period="month",
                           start=dt.date(2026, 2, 1))
    assert ModuleTarget.objects.count() == 4
    with pytest.raises(NotVisible):
        segments.configurable_target(world.gm2, custom.pk)


def test_target_pages_add_and_edit(world):
    gov = Module.objects.get(property=world.h1, code="government")
    client = client_for(world.gm)
    r = client.post(f"/grading/modules/{gov.pk}/targets/", {"period": "month", "start": "2026-11-01",
                                                           "customers": 12, "visits": 30, "amount": "80000"})
    assert r.status_code == 302
    target = ModuleTarget.objects.get(module=gov)
    assert (target.period_end, target.amount) == (dt.date(2026, 11, 30), Decimal("80000.00"))
    again = client.post(f"/grading/modules/{gov.pk}/targets/", {"period": "month", "start": "2026-11-15",
                                                               "customers": 1, "visits": 1, "amount": "1"})
    assert again.status_code == 422 and ModuleTarget.objects.count() == 1
    r = client.post(f"/grading/modules/targets/{target.pk}/", {"period": "custom", "start": "2026-11-01",
                                                              "end": "2026-11-30", "customers": 15, "visits": 30,
                                                              "amount": "90000"})
    assert r.status_code == 302
    target.refresh_from_db()
    assert target.customers == 15
    bad = client.post(f"/grading/modules/targets/{target.pk}/", {"period": "custom", "start": "2026-11-30",
                                                                "end": "2026-11-01", "customers": 1, "visits": 1,
                                                                "amount": "1"})
    assert bad.status_code == 422
    assert client_for(world.am1).get(f"/grading/modules/targets/{target.pk}/").status_code == 403
    assert client_for(world.gm2).get(f"/grading/modules/targets/{target.pk}/").status_code == 404


def test_apply_suggestions_to_files_without_a_module(world):
    org = make_customer(world.h1, "O1", "市政府办公室", kind=Customer.Kind.ORGANISATION, nature="government")
    plain_org = make_customer(world.h1, "O2", "某单位", kind=Customer.Kind.ORGANISATION)
    soe = Module.objects.get(property=world.h1, code="soe")
    kept = make_customer(world.h1, "P9", "王五", module=soe)
    with pytest.raises(PermissionDenied):
        apply_suggestions(world.am1, world.h1)
    client = client_for(world.gm)
    page = client.get("/grading/modules/").content.decode()
    assert "apply-suggestions" in page
    r = client.post("/grading/modules/apply-suggestions/", {"property": "H1", "confirm": "on"}, follow=True)
    assert r.status_code == 200
    modules = dict(Customer.objects.filter(property=world.h1).values_list("customer_code", "module__code"))
    assert modules == {"C001": "family", "C002": "family", "C003": "family", "C004": "family",
                       "O1": "government", "O2": None, "P9": "soe"}
    assert Customer.objects.get(pk=world.c_h2.pk).module is None  # another property: untouched
    assert org.history.first().history_change_reason and org.history.first().history_user == world.gm
    event = AuditEvent.objects.get(action="config.module.apply_suggestions")
    assert event.rows == 5
    assert apply_suggestions(world.gm, world.h1) == 0  # nothing left to do
    assert plain_org.pk and kept.pk


def test_the_delete_button_only_for_a_module_nothing_names(world):
    client = client_for(world.gm)
    gov = Module.objects.get(property=world.h1, code="government")
    world.c_am1.module = gov
    world.c_am1.save(update_fields=["module"])
    assert "/delete/" not in client.get(f"/grading/modules/{gov.pk}/").content.decode()
    assert client.post(f"/grading/modules/{gov.pk}/delete/").status_code == 302
    assert Module.objects.filter(pk=gov.pk).exists()  # refused, with a message
    spare = segments.create_module(world.gm, world.h1, code="spare", name="备用")
    assert f"/grading/modules/{spare.pk}/delete/" in client.get(f"/grading/modules/{spare.pk}/").content.decode()
    assert client_for(world.am1).post(f"/grading/modules/{spare.pk}/delete/").status_code == 403
    assert client_for(world.gm2).post(f"/grading/modules/{spare.pk}/delete/").status_code == 404
    assert client.get(f"/grading/modules/{spare.pk}/delete/").status_code == 405
    assert client.post(f"/grading/modules/{spare.pk}/delete/").status_code == 302
    assert not Module.objects.filter(pk=spare.pk).exists()
    assert AuditEvent.objects.filter(action="config.module.delete").count() == 1
