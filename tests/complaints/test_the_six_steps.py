"""R-8.2: the six steps as a state machine, who and when at each; R-8.1 recording."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yingke.complaints import services
from yingke.complaints.models import Complaint, ComplaintPolicy, ComplaintStep, Step
from yingke.core.permissions import NotVisible
from yingke.core.services import Conflict


def steps(c):
    return list(ComplaintStep.objects.filter(complaint=c).values_list("step", "done_by__username"))


def take_through(actor, c, upto=Step.ARCHIVED):
    data = {Step.APOLOGISED: {"apology": "当面致歉"}, Step.VERIFIED: {"findings": "属实"},
            Step.AGREED: {"solution": "重做菜品", "compensation": "voucher", "compensation_amount": "100"},
            Step.CARRIED_OUT: {"carried_out": "已送代金券"},
            Step.ARCHIVED: {"check_back": "客人满意", "satisfaction": "satisfied"}}
    for step in range(c.step + 1, upto + 1):
        c = services.advance(actor, c, step, **data[Step(step)])
    return c


def test_recording_is_step_one_with_who_and_when(world, complaint):
    assert complaint.step == Step.RECORDED and complaint.is_open
    assert complaint.words == "菜里有头发。\n很不满意"
    assert steps(complaint) == [(1, "desk")]
    assert complaint.created_by == world.desk


def test_the_steps_go_in_order_and_each_is_recorded(world, complaint):
    with pytest.raises(Conflict) as e:
        services.advance(world.desk, complaint, Step.VERIFIED, findings="x")
    assert "下一步" in str(e.value)
    c = take_through(world.desk, complaint)
    assert c.step == Step.ARCHIVED and c.closed_at is not None and not c.is_open
    assert [s for s, _ in steps(c)] == [1, 2, 3, 4, 5, 6]
    with pytest.raises(Conflict):
        services.advance(world.desk, c, Step.ARCHIVED, check_back="again", satisfaction="satisfied")


def test_a_second_click_is_a_clear_conflict_not_the_next_step(world, complaint):
    services.advance(world.desk, complaint, Step.APOLOGISED)
    with pytest.raises(Conflict):
        services.advance(world.desk, complaint, Step.APOLOGISED)
    assert Complaint.objects.get(pk=complaint.pk).step == Step.APOLOGISED


def test_archiving_without_the_check_back_result_is_refused(world, complaint):
    c = take_through(world.desk, complaint, Step.CARRIED_OUT)
    for blank in ("", "   ", "\u200b"):
        with pytest.raises(ValidationError) as e:
            services.advance(world.desk, c, Step.ARCHIVED, check_back=blank, satisfaction="satisfied")
        assert "回访" in " ".join(e.value.message_dict["check_back"])
    assert Complaint.objects.get(pk=c.pk).step == Step.CARRIED_OUT


def test_required_step_texts_and_bad_input_change_nothing(world, complaint):
    for bad in ({"findings": ""}, {"findings": "a\x00b"}, {"findings": "x" * 4001}):
        with pytest.raises(ValidationError):
            services.advance(world.desk, complaint, Step.VERIFIED, **bad)
    c = take_through(world.desk, complaint, Step.VERIFIED)
    for amount in ("abc", "-1", "1.234", "1e3000", "NaN"):
        with pytest.raises(ValidationError):
            services.advance(world.desk, c, Step.AGREED, solution="s", compensation="amount", compensation_amount=amount)
    assert Complaint.objects.get(pk=c.pk).step == Step.VERIFIED


def test_compensation_above_the_threshold_waits_for_the_general_manager(world, complaint):
    c = take_through(world.desk, complaint, Step.VERIFIED)
    c = services.advance(world.desk, c, Step.AGREED, solution="免单", compensation="amount",
                         compensation_amount="800")
    assert c.step == Step.VERIFIED and c.approval_pending
    with pytest.raises(Conflict):
        services.advance(world.desk, c, Step.CARRIED_OUT, carried_out="x")
    with pytest.raises(PermissionDenied):
        services.decide(world.desk, c, True)
    c = services.decide(world.gm, c, True)
    assert c.step == Step.AGREED and c.approver == world.gm and not c.approval_pending
    assert world.gm.notifications.filter(kind="complaint.approval").count() == 1


def test_a_refused_compensation_needs_a_reason_and_reopens_the_step(world, complaint):
    c = take_through(world.desk, complaint, Step.VERIFIED)
    c = services.advance(world.desk, c, Step.AGREED, solution="免单", compensation="amount",
                         compensation_amount="800")
    with pytest.raises(ValidationError):
        services.decide(world.gm, c, False, "")
    c = services.decide(world.gm, c, False, "金额过高")
    assert c.step == Step.VERIFIED and not c.approval_pending and c.compensation_amount == 0
    c = services.advance(world.desk, c, Step.AGREED, solution="送果盘", compensation="gift", compensation_amount="50")
    assert c.step == Step.AGREED and c.approver is None


def test_the_threshold_is_the_propertys(world, complaint):
    ComplaintPolicy.objects.create(property=world.h1, approval_threshold=Decimal("50"))
    c = take_through(world.desk, complaint, Step.VERIFIED)
    c = services.advance(world.desk, c, Step.AGREED, solution="s", compensation="voucher", compensation_amount="60")
    assert c.approval_pending


def test_resolved_on_the_spot_still_records_each_step(world, complaint):
    c = services.resolve_on_the_spot(world.desk, complaint, apology="致歉", solution="换菜",
                                     carried_out="已换", check_back="客人当场满意", satisfaction="satisfied")
    assert c.on_the_spot and c.step == Step.ARCHIVED
    assert steps(c) == [(1, "desk"), (2, "desk"), (3, "desk"), (4, "desk"), (5, "desk"), (6, "desk")]
    other = services.record(world.desk, world.h1, kind="price", words="太贵")
    with pytest.raises(ValidationError):
        services.resolve_on_the_spot(world.desk, other, solution="s", carried_out="x", check_back="",
                                     satisfaction="satisfied")
    with pytest.raises(Conflict):
        services.resolve_on_the_spot(world.desk, other, solution="s", carried_out="x", check_back="ok",
                                     satisfaction="satisfied", compensation="amount", compensation_amount="9000")
    assert Complaint.objects.get(pk=other.pk).step == Step.RECORDED


def test_who_sees_and_works_a_complaint(world, complaint):
    anon = services.record(world.sup, world.h1, kind="facilities", words="空调坏了", contact_phone="13800001111")
    for user in (world.gm, world.desk, world.sup):
        assert set(Complaint.objects.visible_to(user)) == {complaint, anon}
    assert set(Complaint.objects.visible_to(world.am1)) == {complaint}  # through the guest's file
    assert set(Complaint.objects.visible_to(world.sm)) == {complaint}  # am1 is in the team
    for user in (world.am2, world.am3, world.admin, world.gm2):
        assert not Complaint.objects.visible_to(user).exists()
        with pytest.raises(NotVisible):
            services.advance(user, complaint, Step.APOLOGISED)
    with pytest.raises(NotVisible):
        services.advance(world.am1, anon, Step.APOLOGISED)
    services.advance(world.am1, complaint, Step.APOLOGISED)


def test_recording_checks_the_guest_property_and_choices(world):
    with pytest.raises(PermissionDenied):
        services.record(world.gm2, world.h1, kind="food", words="x")
    with pytest.raises(PermissionDenied):
        services.record(world.admin, world.h1, kind="food", words="x")
    with pytest.raises(ValidationError) as e:
        services.record(world.am2, world.h1, kind="food", words="x", customer=world.c_am1)
    assert "customer" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        services.record(world.desk, world.h1, kind="nope", severity="x", channel="y", words="")
    assert set(e.value.message_dict) == {"kind", "severity", "channel", "words"}
    with pytest.raises(ValidationError):
        services.record(world.desk, world.h1, kind="food", words="x", customer=world.c_h2)
    assert not Complaint.objects.exists()


def test_late_steps_are_marked(world, complaint):
    later = complaint.step_at + dt.timedelta(hours=2)  # medium: apologise within 1 hour
    c = services.advance(world.desk, complaint, Step.APOLOGISED, now=later)
    assert ComplaintStep.objects.get(complaint=c, step=Step.APOLOGISED).overdue is True


def test_amounts_are_ascii_digits_with_two_decimals(world, complaint):
    c = take_through(world.desk, complaint, Step.VERIFIED)
    for odd in ("١٢٣", "１２３", "1_000", "1e2", "12.345", "--1", "¥"):
        with pytest.raises(ValidationError):
            services.advance(world.desk, c, Step.AGREED, solution="s", compensation="amount",
                             compensation_amount=odd)
    c = services.advance(world.desk, c, Step.AGREED, solution="s", compensation="amount",
                         compensation_amount="￥1,200.5")
    assert c.approval_pending and c.compensation_amount == Decimal("1200.50")


def test_each_new_proposal_reaches_the_approver(world, complaint):
    c = take_through(world.desk, complaint, Step.VERIFIED)
    c = services.advance(world.desk, c, Step.AGREED, solution="免单", compensation="amount", compensation_amount="800")
    c = services.decide(world.gm, c, False, "太多")
    services.advance(world.desk, c, Step.AGREED, solution="半价", compensation="amount", compensation_amount="700")
    assert world.gm.notifications.filter(kind="complaint.approval").count() == 2


def test_a_contact_phone_is_stored_like_a_mobile_and_masked_whatever_was_typed(world):
    from yingke.customers.masking import shown_mobile

    c = services.record(world.desk, world.h1, kind="other", words="x", contact_phone="138 1234 5678")
    assert c.contact_phone == "13812345678" and shown_mobile(world.desk, c.contact_phone) == "138****5678"
    d = services.record(world.desk, world.h1, kind="other", words="x", contact_phone="13812345678 转 1203")
    shown = shown_mobile(world.desk, d.contact_phone)
    assert "12345678" not in shown and "1381" not in shown and shown.endswith("1203")
