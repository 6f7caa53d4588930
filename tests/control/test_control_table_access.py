"""R-6.4 / R-1.2: who reads whose daily control table. Themselves (account and sales managers),
their own sales manager, the general manager of a property they work at (CONTROL in
core.permissions); anyone else's table is 404 like an unknown member or property (no staff-id
oracle), one's own when the role keeps none 403. The team view is the
sales manager's (their team) and the general manager's (every account and sales manager of the
property). The control table is the account manager's home page."""

import pytest
from django.urls import reverse

from tests.conftest import make_user
from yingke.core.roles import Role

TODAY = reverse("control:today")
TEAM = reverse("control:team")
TEAM_PRINT = reverse("control:team_print")


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


# reader → {member: expected status}
MATRIX = {
    "am1": {"am1": 200, "am2": 404, "am3": 404, "sm": 404, "gm": 404, "am_h2": 404},
    "am3": {"am3": 200, "am1": 404},
    "sm": {"sm": 200, "am1": 200, "am2": 200, "am3": 404, "am_h2": 404},
    "gm": {"am1": 200, "am2": 200, "am3": 200, "sm": 200, "am_h2": 404, "gm": 403},
    "gm2": {"am_h2": 200, "am1": 404},
    "desk": {"am1": 404, "desk": 403},
    "sup": {"am1": 404},
    "admin": {"am1": 404, "admin": 403},
    "am_h2": {"am_h2": 200, "am1": 404},
}


@pytest.mark.parametrize("reader", list(MATRIX))
def test_who_reads_whose_table(client, world, reader):
    for member, status in MATRIX[reader].items():
        response = get(client, getattr(world, reader), TODAY, member=getattr(world, member).pk)
        assert response.status_code == status, (reader, member, response.status_code)
        if status == 200:
            assert response.context["member"] == getattr(world, member)
        else:
            assert "张三" not in response.content.decode()


@pytest.mark.parametrize("reader, status", [("am1", 200), ("sm", 200), ("am3", 200), ("desk", 403), ("sup", 403),
                                            ("admin", 403)])
def test_own_table_without_a_member(client, world, reader, status):
    assert get(client, getattr(world, reader), TODAY).status_code == status


def test_the_general_manager_goes_to_the_team(client, world):
    response = get(client, world.gm, TODAY)
    assert response.status_code == 302 and response["Location"] == TEAM


@pytest.mark.parametrize("member", ["x", "-1", "0", "1e3", "９", "99999999", "9" * 30, "\x00", "1 OR 1=1"])
def test_a_bad_or_unknown_member_is_404(client, world, member):
    assert get(client, world.sm, TODAY, member=member).status_code == 404


@pytest.mark.parametrize("code", ["H2", "NOPE", "h1'--", "酒店"])
def test_a_property_that_is_not_shared_is_404(client, world, code):
    assert get(client, world.sm, TODAY, member=world.am1.pk, property=code).status_code == 404


def test_property_code_is_case_insensitive_and_defaults_to_the_first(client, world):
    assert get(client, world.sm, TODAY, member=world.am1.pk, property="h1").context["prop"] == world.h1
    assert get(client, world.am1, TODAY).context["prop"] == world.h1


def test_a_member_at_two_properties_has_a_table_in_each(client, world):
    world.am1.properties.add(world.h2)
    both = get(client, world.am1, TODAY, property="H2")
    assert both.status_code == 200 and both.context["prop"] == world.h2
    # the sales manager works only at H1: not H2
    assert get(client, world.sm, TODAY, member=world.am1.pk, property="H2").status_code == 404


def test_sales_manager_sees_the_team_and_its_tables(client, world):
    response = get(client, world.sm, TEAM)
    assert response.status_code == 200
    members = [line["member"].username for line in response.context["lines"]]
    assert members == ["am1", "am2", "sm"]  # not am3 (outside the team), not staff of H2
    body = response.content.decode()
    for m in (world.am1, world.am2):
        assert f'{TODAY}?member={m.pk}&amp;property=H1' in body


def test_general_manager_sees_every_account_and_sales_manager(client, world):
    retired = make_user("gone", Role.ACCOUNT_MANAGER, world.h1)
    retired.is_active = False
    retired.save()
    members = [line["member"].username for line in get(client, world.gm, TEAM).context["lines"]]
    assert sorted(members) == ["am1", "am2", "am3", "sm"]
    assert [line["member"].username for line in get(client, world.gm2, TEAM).context["lines"]] == ["am_h2"]


@pytest.mark.parametrize("reader", ["am1", "am3", "desk", "sup", "admin"])
def test_others_have_no_team_view(client, world, reader):
    user = getattr(world, reader)
    assert get(client, user, TEAM).status_code == 403
    assert get(client, user, TEAM_PRINT).status_code == 403


def test_a_sales_manager_of_another_property_gets_404_for_its_team(client, world):
    assert get(client, world.sm, TEAM, property="H2").status_code == 404


def test_home_of_an_account_manager_is_the_control_table(client, world):
    client.force_login(world.am1)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == TODAY
    # the care reminders stay reachable (the table's "All care reminders" link)
    page = client.get(reverse("home"), {"page": 1})
    assert page.status_code == 200 and "upcoming" in page.context
    assert 'href="/?page=1#reminders"' in client.get(TODAY).content.decode()


@pytest.mark.parametrize("reader", ["gm", "sm", "desk", "sup"])
def test_home_of_other_roles_is_unchanged(client, world, reader):
    assert get(client, getattr(world, reader), reverse("home")).status_code == 200


def test_an_account_manager_without_a_property_keeps_the_plain_home(client, world):
    lone = make_user("lone", Role.ACCOUNT_MANAGER, None)
    assert get(client, lone, reverse("home")).status_code == 200


def test_anonymous_is_sent_to_log_in(client, world):
    for url in (TODAY, TEAM, TEAM_PRINT, reverse("control:today_export", args=["csv"])):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_writes_are_refused(client, world):
    client.force_login(world.am1)
    assert client.post(TODAY).status_code == 405
