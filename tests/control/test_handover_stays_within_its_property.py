"""A handover covers the properties the actor hands over and nothing else (R-1.3): a team
member who also works at another property stays in the leaver's team (moving them would
change that property's team without its general manager), the preview and the result say so,
and the staff page counts what the member holds only where the viewer hands over."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from tests.api.helpers import token_client
from tests.conftest import make_customer, make_user
from yingke.control import handover as ho
from yingke.control.models import PositionTarget
from yingke.core.roles import Role


@pytest.fixture
def split(world):
    """sm works at H1 and H2 and leads am1, am2 (H1) and am_both (H1 and H2); am_only2 (H2 only)."""
    world.sm.properties.add(world.h2)
    world.am_both = make_user("am_both", Role.ACCOUNT_MANAGER, world.h1, manager=world.sm)
    world.am_both.properties.add(world.h2)
    world.am_only2 = make_user("am_only2", Role.ACCOUNT_MANAGER, world.h2, manager=world.sm)
    world.sm_h2 = make_user("sm_h2", Role.SALES_MANAGER, world.h2)
    make_customer(world.h2, "C020", "钱七", owner=world.sm)
    return world


def test_a_member_who_also_works_elsewhere_stays_in_the_team(split):
    w = split
    h = ho.handover(w.gm2, w.sm, to=w.sm_h2, reason="离职")
    for u in (w.am_both, w.am_only2, w.am1):
        u.refresh_from_db()
    assert w.am_both.manager_id == w.sm.pk  # H1's team is unchanged
    assert w.am1.manager_id == w.sm.pk
    assert w.am_only2.manager_id == w.sm_h2.pk  # works only at H2: moves
    assert h.counts["team"] == 1 and h.counts["team_kept"] == ["am_both"]
    assert "am_both" in ho.summary(h)


def test_the_preview_counts_only_who_moves_and_names_who_stays(split, client):
    w = split
    member, props, held = ho.holdings_for(w.gm2, w.sm.pk)
    assert [p.code for p in props] == ["H2"]
    assert held["team"] == {w.h2.pk: 1}
    assert [u.username for u in ho.team_kept(member, [w.h2.pk])] == ["am_both"]
    client.force_login(w.gm2)
    body = client.get(f"/control/handover/{w.sm.pk}/").content.decode()
    assert 'id="team-kept"' in body and "am_both" in body
    data = token_client(w.gm2).get(f"/api/staff/{w.sm.pk}/holdings").json()
    assert data["team_kept"] == ["am_both"]


def test_a_team_within_the_scope_moves_as_before(world):
    sm2 = make_user("sm2", Role.SALES_MANAGER, world.h1)
    h = ho.handover(world.gm, world.sm, to=sm2, reason="离职")
    world.am1.refresh_from_db()
    assert world.am1.manager_id == sm2.pk and h.counts["team"] == 2 and h.counts["team_kept"] == []


def _held_on_staff_page(viewer, member) -> int:
    request = RequestFactory().get("/")
    request.user = viewer
    return int(Template("{% load control_handover %}{% held_total member as n %}{{ n }}").render(
        Context({"request": request, "member": member})))


def test_the_staff_page_counts_only_the_viewers_properties(split):
    w = split
    make_customer(w.h1, "C021", "孙八", owner=w.sm)
    # gm2 (H2): sm's H2 file and am_only2; not the H1 file, not am1/am2/am_both
    assert _held_on_staff_page(w.gm2, w.sm) == 2
    # gm (H1): the H1 file and am1, am2 (am_both works at H2 too: not gm's to move)
    assert _held_on_staff_page(w.gm, w.sm) == 3
    assert _held_on_staff_page(w.gm2, w.sm) == ho.total(ho.holdings_for(w.gm2, w.sm.pk)[2])


def test_moved_targets_record_who_moved_them(world):
    start = (world.h1.local_today().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    PositionTarget.objects.create(property=world.h1, user=world.am1, kind="month", start=start, visits=10)
    ho.handover(world.gm, world.am1, to=world.am2, reason="离职")
    mine = PositionTarget.objects.get(user=world.am2, start=start)
    assert mine.visits == 10
    assert mine.history.latest("history_date").history_user_id == world.gm.pk


def test_the_staff_page_links_the_handover_with_the_viewers_count(split, client):
    from django.urls import reverse

    client.force_login(split.gm2)
    response = client.get(reverse("config:staff_edit", args=[split.sm.pk]))
    assert response.status_code == 200
    assert reverse("control:handover", args=[split.sm.pk]) in response.content.decode()


def test_a_team_member_working_elsewhere_alone_is_nothing_to_hand_over(world):
    from yingke.core.services import Conflict

    world.sm.properties.add(world.h2)
    both = make_user("am_both", Role.ACCOUNT_MANAGER, world.h1, manager=world.sm)
    both.properties.add(world.h2)
    sm_h2 = make_user("sm_h2", Role.SALES_MANAGER, world.h2)
    with pytest.raises(Conflict) as e:
        ho.handover(world.gm2, world.sm, to=sm_h2, reason="离职")
    assert "am_both" in str(e.value)
    both.refresh_from_db()
    assert both.manager_id == world.sm.pk
