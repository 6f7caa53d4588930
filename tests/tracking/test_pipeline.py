"""R-11.4: the pipeline of opportunities — who opens and changes them, stage rules (default
probabilities, won closes and links only visible, non-voided visits of the same guest, lost
needs a reason), the weighted forecast per month under the row rule, and the pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from yingke.core.services import Conflict
from yingke.tracking import pipeline
from yingke.tracking.models import DEFAULT_PROBABILITY, Opportunity
from yingke.tracking.services import create_lead
from yingke.visits.services import record_visit, void_visit


def month(world, ahead=0):
    return pipeline.months(world.h1.local_today().replace(day=1), ahead + 1)[-1]


def opp(world, actor, customer, amount="10000", ahead=0, day=10, **extra):
    data = {"kind": "banquet", "title": "年会", "amount": amount, "expected_on": month(world, ahead).replace(day=day)}
    data.update(extra)
    return pipeline.create_opportunity(actor, customer.property if customer else world.h1, customer=customer,
                                       **data)


def yesterday():
    return timezone.now() - dt.timedelta(days=1)


def client(user):
    c = Client()
    c.force_login(user)
    return c


def test_create_needs_track_and_a_visible_file_or_lead(world):
    o = opp(world, world.am1, world.c_am1)
    assert (o.owner, o.stage, o.probability) == (world.am1, "inquiry", DEFAULT_PROBABILITY["inquiry"])
    for role in (world.desk, world.sup, world.admin, world.gm2):
        with pytest.raises(PermissionDenied):
            pipeline.create_opportunity(role, world.h1, customer=world.c_pool, kind="group", title="x", amount=1,
                                        expected_on=month(world))
    with pytest.raises(ValidationError) as e:
        opp(world, world.am1, world.c_am2)  # not a file am1 sees
    assert "customer" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        pipeline.create_opportunity(world.am1, world.h1, kind="group", title="x", amount=1, expected_on=month(world))
    assert "customer" in e.value.message_dict
    lead = create_lead(world.am1, world.h1, name="王总", source="marketing")
    o = pipeline.create_opportunity(world.am1, world.h1, lead=lead, kind="wedding", title="婚宴", amount="88000",
                                    expected_on=month(world, 2), stage="proposal")
    assert (o.lead_id, o.customer_id, o.probability) == (lead.pk, None, 30)


def test_bad_amounts_probabilities_and_stages_are_422(world):
    for bad in ({"amount": "-1"}, {"amount": "1e400"}, {"amount": "abc"}, {"amount": "1.005"},
                {"amount": "99999999999"}, {"probability": 101}, {"probability": -1}, {"probability": "x"},
                {"stage": "won"}, {"kind": "party"}, {"title": " "}, {"expected_on": "2026-13-01"}):
        with pytest.raises(ValidationError):
            opp(world, world.am1, world.c_am1, **bad)
    assert not Opportunity.objects.exists()


def test_owner_must_be_assignable(world):
    with pytest.raises(ValidationError) as e:
        opp(world, world.am1, world.c_am1, owner=world.am2.pk)
    assert "owner" in e.value.message_dict
    assert opp(world, world.sm, world.c_am1, owner=world.am2.pk).owner == world.am2


def test_stage_defaults_probability_unless_given_lost_needs_reason(world):
    o = opp(world, world.am1, world.c_am1)
    o = pipeline.move_stage(world.am1, o, "negotiation")
    assert o.probability == 60
    o = pipeline.move_stage(world.am1, o, "proposal", probability=45)
    assert o.probability == 45
    with pytest.raises(ValidationError):
        pipeline.move_stage(world.am1, o, "lost")
    o = pipeline.move_stage(world.am1, o, "lost", lost_reason="客户选了别家")
    assert (o.probability, o.lost_reason, o.closed_at is not None) == (0, "客户选了别家", True)
    o = pipeline.move_stage(world.am1, o, "inquiry")
    assert (o.closed_at, o.lost_reason, o.probability) == (None, "", 10)
    with pytest.raises(Conflict):
        pipeline.move_stage(world.am1, o, "proposal", expect="negotiation")


def test_changes_need_edit(world):
    o = opp(world, world.am1, world.c_am1)
    with pytest.raises(Http404):
        pipeline.move_stage(world.am2, o, "proposal")
    with pytest.raises(Http404):
        pipeline.update_opportunity(world.am3, o, amount="1")
    with pytest.raises(PermissionDenied):
        pipeline.update_opportunity(world.desk, o, amount="1")
    assert pipeline.update_opportunity(world.sm, o, amount="12000.50").amount == Decimal("12000.50")


def test_won_links_only_visible_unvoided_visits_of_the_same_guest(world):
    mine = record_visit(world.gm, world.c_am1, occurred_at=yesterday(), amount="5000")
    voided = record_visit(world.gm, world.c_am1, occurred_at=yesterday(), amount="100")
    void_visit(world.gm, voided, "录错")
    other_guest = record_visit(world.gm, world.c_pool, occurred_at=yesterday(), amount="300")
    o = opp(world, world.am1, world.c_am1)
    with pytest.raises(ValidationError):  # not won yet
        pipeline.move_stage(world.am1, o, "negotiation", visits=[mine.pk])
    for bad in ([voided.pk], [other_guest.pk], [mine.pk, 10**12]):
        with pytest.raises(ValidationError) as e:
            pipeline.move_stage(world.am1, o, "won", visits=bad)
        assert "visits" in e.value.message_dict
    o.refresh_from_db()
    assert o.stage == "inquiry"
    o = pipeline.move_stage(world.am1, o, "won", visits=[mine.pk])
    assert (o.stage, o.probability, o.closed_at is not None) == ("won", 100, True)
    assert list(o.visits.values_list("pk", flat=True)) == [mine.pk]
    am2_visit = record_visit(world.gm, world.c_am2, occurred_at=yesterday(), amount="1")
    o2 = opp(world, world.gm, world.c_am2)
    pipeline.move_stage(world.gm, o2, "won")
    with pytest.raises(ValidationError):  # a visit am1 does not see (and of another guest)
        pipeline.update_opportunity(world.am1, o, visits=[am2_visit.pk])
    o = pipeline.move_stage(world.am1, o, "negotiation")
    assert o.visits.count() == 0 and o.closed_at is None


def test_forecast_sums_weighted_amounts_per_month_and_follows_the_row_rule(world):
    opp(world, world.am1, world.c_am1, amount="10000")                      # 10 % → 1000
    opp(world, world.am1, world.c_am1, amount="20000", stage="negotiation")  # 60 % → 12000
    won = opp(world, world.am2, world.c_am2, amount="5000", ahead=1)
    pipeline.move_stage(world.am2, won, "won")                              # won → 5000 next month
    lost = opp(world, world.am2, world.c_am2, amount="7000", ahead=1)
    pipeline.move_stage(world.am2, lost, "lost", lost_reason="预算不足")     # counts nowhere
    opp(world, world.am3, world.c_am3, amount="3000", ahead=1, probability=50)  # 1500, am3 (not sm's team)
    opp(world, world.gm, world.c_pool, amount="4000", owner=None)            # pool, 10 % → 400
    start = month(world)

    def figures(user):
        data = pipeline.forecast(user, [world.h1], start, 2)
        return [(m["weighted"], m["won_amount"], m["forecast"]) for m in data["months"]]

    d = Decimal
    assert figures(world.gm) == [(d("13400.00"), d("0.00"), d("13400.00")), (d("1500.00"), d("5000.00"), d("6500.00"))]
    # the sales manager: their team's (report_rule: not am3's, not the pool)
    assert figures(world.sm) == [(d("13000.00"), d("0.00"), d("13000.00")), (d("0.00"), d("5000.00"), d("5000.00"))]
    # an account manager: what they see (their own and the pool)
    assert figures(world.am1) == [(d("13400.00"), d("0.00"), d("13400.00")), (d("0.00"), d("0.00"), d("0.00"))]
    assert figures(world.gm2) == [(d("0.00"), d("0.00"), d("0.00"))] * 2
    totals = pipeline.forecast(world.gm, [world.h1], start, 2)["totals"]
    assert (totals["open_count"], totals["won_count"], totals["forecast"]) == (4, 1, d("19900.00"))


def test_board_totals(world):
    opp(world, world.am1, world.c_am1, amount="10000")
    opp(world, world.am1, world.c_am1, amount="30000", stage="proposal")
    board = {s["stage"]: s for s in pipeline.board(Opportunity.objects.visible_to(world.am1))}
    assert (board["inquiry"]["amount"], board["inquiry"]["weighted"]) == (Decimal("10000.00"), Decimal("1000.00"))
    assert (board["proposal"]["count"], board["proposal"]["weighted"]) == (1, Decimal("9000.00"))


# ---- pages ---------------------------------------------------------------------------------

def test_pipeline_pages(world):
    am1 = client(world.am1)
    r = am1.post(reverse("tracking:opportunity_new") + f"?customer={world.c_am1.pk}", {
        "property": "H1", "kind": "banquet", "title": "寿宴", "stage": "proposal", "amount": "16800",
        "expected_on": month(world, 1).isoformat(), "owner": str(world.am1.pk)})
    o = Opportunity.objects.get()
    assert r.status_code == 302 and (o.probability, o.customer_id) == (30, world.c_am1.pk)
    for view in ("board", "table"):
        page = am1.get(reverse("tracking:pipeline"), {"view": view})
        assert page.status_code == 200 and "寿宴" in page.content.decode()
    assert am1.get(reverse("tracking:opportunity", args=[o.pk])).status_code == 200
    assert am1.get(reverse("tracking:opportunity_edit", args=[o.pk])).status_code == 200
    r = am1.post(reverse("tracking:opportunity_edit", args=[o.pk]), {
        "property": "H1", "kind": "banquet", "title": "寿宴", "amount": "-5", "expected_on": month(world).isoformat()})
    assert r.status_code == 422
    r = am1.post(reverse("tracking:opportunity_stage", args=[o.pk]), {"stage": "lost", "expect": "proposal"})
    assert r.status_code == 422
    r = am1.post(reverse("tracking:opportunity_stage", args=[o.pk]), {"stage": "won", "expect": "proposal"})
    o.refresh_from_db()
    assert r.status_code == 302 and o.stage == "won"
    page = am1.get(reverse("tracking:forecast"))
    assert page.status_code == 200 and 'data-chart="chart-forecast"' in page.content.decode()
    export = am1.get(reverse("tracking:forecast_export", args=["csv"]))
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert export.status_code == 200 and "16800" in body
    assert am1.get(reverse("tracking:pipeline_export", args=["xlsx"]), {"state": "all"}).status_code == 200
    assert am1.get(reverse("tracking:forecast"), {"months": "999", "start": "abc"}).status_code == 200


@pytest.mark.parametrize("who,status", [("am1", 200), ("sm", 200), ("gm", 200), ("am2", 404), ("am3", 404),
                                        ("gm2", 404), ("desk", 403), ("sup", 403), ("admin", 403)])
def test_opportunity_pages_404_outside_the_rule(world, who, status):
    o = opp(world, world.am1, world.c_am1)
    c = client(getattr(world, who))
    assert c.get(reverse("tracking:opportunity", args=[o.pk])).status_code == status
    assert c.get(reverse("tracking:opportunity_edit", args=[o.pk])).status_code == status
    r = c.post(reverse("tracking:opportunity_stage", args=[o.pk]), {"stage": "proposal"})
    # the front desk and the supervisor see the file (and so the row) but may not change it
    assert r.status_code == {"desk": 403, "sup": 403, "admin": 404}.get(who, 302 if status == 200 else 404)
    assert c.get(reverse("tracking:pipeline")).status_code == (200 if status != 403 else 403)
    new = c.get(reverse("tracking:opportunity_new") + f"?customer={world.c_am1.pk}").status_code
    assert new == (403 if status == 403 else status)


def test_a_file_that_changed_hands_is_not_named_through_the_opportunity(world):
    from yingke.customers.models import Customer

    o = opp(world, world.am1, world.c_am1, title="张三的寿宴")
    Customer.objects.filter(pk=world.c_am1.pk).update(owner=world.am2)
    am1 = client(world.am1)
    for page in (am1.get(reverse("tracking:pipeline"), {"view": "table"}),
                 am1.get(reverse("tracking:opportunity", args=[o.pk]))):
        body = page.content.decode()
        assert page.status_code == 200 and "张三的寿宴" in body and world.c_am1.customer_code not in body
        assert reverse("customers:detail", args=[world.c_am1.pk]) not in body
