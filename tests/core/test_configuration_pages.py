"""Configuration pages under /settings/ (R-1.1, R-1.2, R-1.3): who may open and change
what, a general manager of H1 cannot touch H2, deactivation waits for a handover, bad
input changes nothing."""

import re

import pytest
from django.contrib.auth.hashers import check_password
from django.test import Client

from tests.conftest import EXPECTED, make_customer, make_user
from yingke.core.models import AuditEvent, Outlet, Property, User
from yingke.core.roles import Role
from yingke.customers.models import Tag

CONFIGURERS = {"admin", "gm", "gm2"}


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def routes(w):
    """Every configuration page with a row of H1 (GET)."""
    tag = Tag.objects.create(property=w.h1, name="VIP")
    outlet = w.h1.outlets.get()
    return [
        "/settings/", "/settings/staff/", "/settings/staff/new/", "/settings/tags/",
        f"/settings/properties/{w.h1.pk}/", f"/settings/properties/{w.h1.pk}/outlets/new/",
        f"/settings/outlets/{outlet.pk}/", f"/settings/staff/{w.desk.pk}/", f"/settings/staff/{w.desk.pk}/password/",
        f"/settings/tags/{tag.pk}/",
    ]


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_on_each_configuration_page(world, role):
    """Administrator and GM of H1: 200; GM of H2: 404 on H1's rows, 200 on the lists;
    every other role: 403 everywhere (R-1.2)."""
    user = getattr(world, role)
    client = client_for(user)
    for url in routes(world):
        status = client.get(url).status_code
        row = any(part in url for part in ("/properties/", "/outlets/", "/staff/", "/tags/")) and \
            url.rstrip("/").split("/")[-1].isdigit() or "/outlets/new/" in url or "/password/" in url
        if role in ("admin", "gm"):
            assert status == 200, (role, url, status)
        elif role == "gm2":
            assert status == (404 if row else 200), (role, url, status)
        else:
            assert status == 403, (role, url, status)


def test_post_routes_refuse_other_roles_and_foreign_rows(world):
    outlet = world.h1.outlets.get()
    tag = Tag.objects.create(property=world.h1, name="VIP")
    posts = [
        (f"/settings/properties/{world.h1.pk}/", {"name": "X", "kind": "hotel", "time_zone": "Asia/Shanghai"}),
        (f"/settings/properties/{world.h1.pk}/outlets/new/", {"code": "X", "name": "X", "kind": "bar",
                                                              "capacity": "1"}),
        (f"/settings/outlets/{outlet.pk}/", {"code": "CN", "name": "X", "kind": "bar", "capacity": "1"}),
        (f"/settings/staff/{world.desk.pk}/active/", {"active": "0"}),
        (f"/settings/staff/{world.desk.pk}/password/", {"password1": "Gx7-lantern-9q", "password2": "Gx7-lantern-9q"}),
        (f"/settings/tags/{tag.pk}/", {"name": "X"}),
        (f"/settings/tags/{tag.pk}/delete/", {"confirm": "on"}),
    ]
    for role, expected in [("desk", 403), ("sm", 403), ("am1", 403), ("sup", 403), ("gm2", 404)]:
        client = client_for(getattr(world, role))
        for url, data in posts:
            assert client.post(url, data).status_code == expected, (role, url)
    world.h1.refresh_from_db()
    outlet.refresh_from_db()
    assert (world.h1.name, outlet.name) == ("迎客大酒店", "中餐厅")
    assert User.objects.get(pk=world.desk.pk).is_active
    assert Tag.objects.filter(pk=tag.pk, name="VIP").exists()
    assert not Outlet.objects.filter(code="X").exists()
    assert not AuditEvent.objects.filter(action__startswith="config.").exists()


def test_anonymous_is_sent_to_login(world):
    for url in ["/settings/", "/settings/staff/", "/settings/tags/", f"/settings/properties/{world.h1.pk}/"]:
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_settings_link_in_the_navigation_only_for_configurers(world):
    for role in ("admin", "gm", "am1", "desk"):
        text = client_for(getattr(world, role)).get("/settings/staff/" if role in ("admin", "gm") else "/").content
        assert (b'href="/settings/"' in text) == (role in ("admin", "gm")), role


def test_gm_of_h1_cannot_touch_h2(world):
    client = client_for(world.gm)
    h2_outlet = world.h2.outlets.get()
    assert client.get(f"/settings/properties/{world.h2.pk}/").status_code == 404
    assert client.post(f"/settings/outlets/{h2_outlet.pk}/", {"code": "MAIN", "name": "改", "kind": "bar",
                                                             "capacity": "3"}).status_code == 404
    assert client.post(f"/settings/staff/{world.am_h2.pk}/active/", {"active": "0"}).status_code == 404
    assert client.get(f"/settings/staff/{world.gm2.pk}/").status_code == 404
    # Granting H2 to an H1 member of staff: refused on the field, nothing changed.
    response = client.post(f"/settings/staff/{world.desk.pk}/", {
        "username": "desk", "display_name": "desk", "role": "front_desk", "properties": [world.h2.pk]})
    assert response.status_code == 422
    assert list(world.desk.properties.values_list("code", flat=True)) == ["H1"]
    # Lists show only H1's staff.
    text = client.get("/settings/staff/?status=all").content.decode()
    text = re.sub(r"\b[A-Za-z0-9]{64}\b", "", text)  # CSRF tokens: random letters may spell "gm2"
    assert "am_h2" not in text and "gm2" not in text and "am1" in text
    h2_outlet.refresh_from_db()
    assert h2_outlet.name == "大堂" and User.objects.get(pk=world.am_h2.pk).is_active


def test_outlet_added_and_changed_from_the_property_page(world):
    client = client_for(world.gm)
    response = client.post(f"/settings/properties/{world.h1.pk}/outlets/new/",
                           {"code": "BQ", "name": "宴会厅", "kind": "banquet", "capacity": "40"})
    assert response.status_code == 302
    outlet = Outlet.objects.get(property=world.h1, code="BQ")
    assert (outlet.name, outlet.kind, outlet.capacity) == ("宴会厅", "banquet", 40)
    page = client.get(f"/settings/properties/{world.h1.pk}/").content.decode()
    assert "宴会厅" in page and "40" in page
    event = AuditEvent.objects.get(action="config.outlet.create")
    assert event.user == world.gm and event.details["after"]["capacity"] == 40
    response = client.post(f"/settings/outlets/{outlet.pk}/", {"code": "BQ", "name": "多功能厅", "kind": "banquet",
                                                               "capacity": "45"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="config.outlet.update")
    assert event.details["before"] == {"capacity": 40, "name": "宴会厅"}
    assert event.details["after"] == {"capacity": 45, "name": "多功能厅"}


@pytest.mark.parametrize("data, field, message", [
    ({"code": "CN", "name": "又一个", "kind": "restaurant", "capacity": "10"}, "code", "CN"),
    ({"code": "B Q", "name": "x", "kind": "restaurant", "capacity": "10"}, "code", ""),
    ({"code": "BQ", "name": "x", "kind": "restaurant", "capacity": "-1"}, "capacity", ""),
    ({"code": "BQ", "name": "x", "kind": "spa", "capacity": "1"}, "kind", ""),
    ({"code": "BQ", "name": "a\x00b", "kind": "bar", "capacity": "1"}, "name", ""),
    ({"code": "BQ", "name": "长" * 101, "kind": "bar", "capacity": "1"}, "name", ""),
    ({"code": "BQ", "name": "   ", "kind": "bar", "capacity": "1"}, "name", ""),
    ({"code": "BQ", "name": "x", "kind": "bar", "capacity": "9" * 30}, "capacity", ""),
])
def test_bad_outlet_input_is_refused_on_the_field(world, data, field, message):
    response = client_for(world.admin).post(f"/settings/properties/{world.h1.pk}/outlets/new/", data)
    assert response.status_code == 422
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert message in " ".join(form.errors[field])
    assert Outlet.objects.count() == 2


def test_property_details_and_creation(world):
    client = client_for(world.gm)
    response = client.post(f"/settings/properties/{world.h1.pk}/", {"name": "迎客国际大酒店", "kind": "hotel",
                                                                    "time_zone": "Asia/Urumqi"})
    assert response.status_code == 302
    world.h1.refresh_from_db()
    assert (world.h1.name, world.h1.time_zone, world.h1.code) == ("迎客国际大酒店", "Asia/Urumqi", "H1")
    bad = client.post(f"/settings/properties/{world.h1.pk}/", {"name": "x", "kind": "hotel", "time_zone": "Mars/Base"})
    assert bad.status_code == 422
    # A general manager runs one hotel: adding properties is for the group's administrators.
    assert client.get("/settings/properties/new/").status_code == 403
    admin = client_for(world.admin)
    response = admin.post("/settings/properties/new/", {"code": "H3", "name": "迎客度假村", "kind": "hotel",
                                                        "time_zone": "Asia/Shanghai"})
    assert response.status_code == 302
    h3 = Property.objects.get(code="H3")
    assert h3 in world.admin.properties.all()  # the administrator may now configure it
    dup = admin.post("/settings/properties/new/", {"code": "h3", "name": "x", "kind": "hotel",
                                                   "time_zone": "Asia/Shanghai"})
    assert dup.status_code == 422 and "H3" not in dup.context["form"].errors.get("name", [])
    assert Property.objects.count() == 3


def test_staff_created_with_password_rules(world):
    client = client_for(world.gm)
    base = {"username": "wangli", "display_name": "王丽", "role": "account_manager", "properties": [world.h1.pk],
            "manager": world.sm.pk}
    weak = client.post("/settings/staff/new/", {**base, "password1": "wangli2024", "password2": "wangli2024"})
    assert weak.status_code == 422 and weak.context["form"].errors["password1"]
    differ = client.post("/settings/staff/new/", {**base, "password1": "Gx7-lantern-9q", "password2": "other"})
    assert differ.status_code == 422 and differ.context["form"].errors["password2"]
    assert not User.objects.filter(username="wangli").exists()
    ok = client.post("/settings/staff/new/", {**base, "password1": "Gx7-lantern-9q", "password2": "Gx7-lantern-9q"})
    assert ok.status_code == 302
    user = User.objects.get(username="wangli")
    assert (user.role, user.manager, user.display_name) == (Role.ACCOUNT_MANAGER, world.sm, "王丽")
    assert list(user.properties.all()) == [world.h1] and check_password("Gx7-lantern-9q", user.password)
    event = AuditEvent.objects.get(action="config.staff.create")
    assert event.details["after"]["properties"] == ["H1"] and "Gx7" not in str(event.details)


def test_gm_cannot_create_or_change_administrators(world):
    client = client_for(world.gm)
    response = client.post("/settings/staff/new/", {"username": "boss", "role": "admin", "properties": [world.h1.pk],
                                                    "password1": "Gx7-lantern-9q", "password2": "Gx7-lantern-9q"})
    assert response.status_code == 422 and "role" in response.context["form"].errors
    assert client.post(f"/settings/staff/{world.admin.pk}/active/", {"active": "0"}).status_code == 403
    assert client.post(f"/settings/staff/{world.desk.pk}/", {"username": "desk", "role": "admin",
                                                             "properties": [world.h1.pk]}).status_code == 422
    assert User.objects.get(pk=world.admin.pk).is_active
    assert User.objects.get(pk=world.desk.pk).role == Role.FRONT_DESK
    assert not User.objects.filter(username="boss").exists()


def test_deactivation_refused_while_owning_files_says_how_many(world):
    make_customer(world.h1, "C010", "王五", owner=world.am1)
    client = client_for(world.admin)
    response = client.post(f"/settings/staff/{world.am1.pk}/active/", {"active": "0"}, follow=True)
    text = response.content.decode()
    assert "2" in text and "am1" in text and ("移交" in text or "hand" in text)
    assert User.objects.get(pk=world.am1.pk).is_active
    # The staff page says it before anyone tries.
    page = client.get(f"/settings/staff/{world.am1.pk}/").content.decode()
    assert f'action="/settings/staff/{world.am1.pk}/active/"' not in page
    # The sales manager still leads am1 and am2.
    client.post(f"/settings/staff/{world.sm.pk}/active/", {"active": "0"})
    assert User.objects.get(pk=world.sm.pk).is_active
    assert not AuditEvent.objects.filter(action="config.staff.deactivate").exists()


def test_deactivate_and_reactivate(world):
    client = client_for(world.gm)
    assert client.post(f"/settings/staff/{world.desk.pk}/active/", {"active": "0"}).status_code == 302
    assert not User.objects.get(pk=world.desk.pk).is_active
    assert client_for(world.desk).get("/").status_code == 302  # logged out
    listed = client.get("/settings/staff/").content.decode()
    assert ">desk<" not in listed  # the list shows active staff unless asked
    assert ">desk<" in client.get("/settings/staff/?status=inactive").content.decode()
    assert client.post(f"/settings/staff/{world.desk.pk}/active/", {"active": "1"}).status_code == 302
    assert User.objects.get(pk=world.desk.pk).is_active
    assert list(AuditEvent.objects.filter(action__startswith="config.staff").order_by("id")
                .values_list("action", flat=True)) == ["config.staff.deactivate", "config.staff.reactivate"]


def test_nobody_deactivates_themselves_or_changes_their_own_role(world):
    for role in ("admin", "gm"):
        user = getattr(world, role)
        client = client_for(user)
        assert client.post(f"/settings/staff/{user.pk}/active/", {"active": "0"}).status_code == 403
        assert client.get(f"/settings/staff/{user.pk}/password/").status_code == 403
        # The role field is disabled for oneself: a posted role is ignored.
        client.post(f"/settings/staff/{user.pk}/", {"username": user.username, "display_name": "新名字",
                                                    "role": "front_desk", "properties": []})
        user.refresh_from_db()
        assert user.is_active and user.display_name == "新名字"
        assert user.role == (Role.ADMIN if role == "admin" else Role.GENERAL_MANAGER)
        assert list(user.properties.all()) == [world.h1]


def test_password_reset_by_an_administrator(world):
    client = client_for(world.admin)
    bad = client.post(f"/settings/staff/{world.am1.pk}/password/", {"password1": "1234567890",
                                                                      "password2": "1234567890"})
    assert bad.status_code == 422
    ok = client.post(f"/settings/staff/{world.am1.pk}/password/", {"password1": "Gx7-lantern-9q",
                                                                     "password2": "Gx7-lantern-9q"})
    assert ok.status_code == 302
    assert check_password("Gx7-lantern-9q", User.objects.get(pk=world.am1.pk).password)
    assert AuditEvent.objects.filter(action="config.staff.password", target="user:am1").count() == 1


def test_staff_of_two_properties_keep_the_property_the_gm_does_not_configure(world):
    both = make_user("both", Role.FRONT_DESK, world.h1)
    both.properties.add(world.h2)
    client = client_for(world.gm)
    page = client.get(f"/settings/staff/{both.pk}/").content.decode()
    assert "H2" in page  # shown as kept
    response = client.post(f"/settings/staff/{both.pk}/", {"username": "both", "display_name": "两店",
                                                            "role": "front_desk", "properties": [world.h1.pk]})
    assert response.status_code == 302
    assert sorted(both.properties.values_list("code", flat=True)) == ["H1", "H2"]
    # Account-wide changes need every property: refused for the GM of H1 only.
    assert client.post(f"/settings/staff/{both.pk}/active/", {"active": "0"}).status_code == 403
    assert User.objects.get(pk=both.pk).is_active


def test_staff_list_pages_and_filters(world):
    for i in range(30):
        make_user(f"extra{i:02d}", Role.FRONT_DESK, world.h1)
    client = client_for(world.admin)
    first = client.get("/settings/staff/")
    assert first.context["page"].paginator.num_pages == 2 and 'rel="next"' in first.content.decode()
    second = client.get("/settings/staff/?page=2").content.decode()
    assert 'rel="prev"' in second
    only = client.get("/settings/staff/?role=sales_manager").content.decode()
    assert ">sm<" in only and ">am1<" not in only
    empty = client.get("/settings/staff/?q=nobody-like-this").content.decode()
    assert 'class="empty"' in empty
    assert client.get("/settings/staff/?page=999&role=nonsense&q=%00").status_code == 200


def test_every_mistake_shows_at_once(world):
    """A blank name and a code already taken: both fields are marked in one round trip."""
    response = client_for(world.gm).post(f"/settings/properties/{world.h1.pk}/outlets/new/",
                                         {"code": "CN", "name": " ", "kind": "bar", "capacity": "3"})
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "name" in errors and "CN" in " ".join(errors["code"])
    staff = client_for(world.gm).post("/settings/staff/new/", {"username": "desk", "role": "", "password1": "short",
                                                                "password2": "short", "properties": [world.h1.pk]})
    errors = staff.context["form"].errors
    assert {"username", "role", "password1"} <= set(errors), errors
    assert Outlet.objects.count() == 2 and User.objects.count() == 10
    assert not AuditEvent.objects.exists()
