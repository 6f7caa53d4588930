"""R-3.1, R-3.3: visits and stays entered, corrected and voided through visits.services."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from yingke.core.models import Outlet
from yingke.core.permissions import SYSTEM
from yingke.core.services import Conflict
from yingke.visits.models import Visit
from yingke.visits.services import correct_visit, record_visit, void_visit


def when(days=1, hour=19):
    return timezone.make_aware(dt.datetime.combine(timezone.localdate() - dt.timedelta(days=days), dt.time(hour)))


def errors_of(excinfo):
    return excinfo.value.message_dict


def test_a_visit_takes_the_files_property_and_refreshes_the_profile(world):
    outlet = world.h1.outlets.get()
    v = record_visit(world.am1, world.c_am1, occurred_at=when(), amount="1,288.50", outlet=outlet, covers=6,
                     doc_no=" POS-1 ", occasion=Visit.Occasion.BUSINESS)
    assert (v.property, v.doc_no, v.doc_key, v.amount, v.created_by) == (world.h1, "POS-1", "POS-1",
                                                                          Decimal("1288.50"), world.am1)
    world.c_am1.refresh_from_db()
    assert (world.c_am1.visit_count, world.c_am1.total_spend) == (1, Decimal("1288.50"))
    assert world.c_am1.consumption == {"outlets": [["中餐厅", 1]]}


def test_an_outlet_of_another_property_is_refused(world):
    other = world.h2.outlets.get()
    with pytest.raises(ValidationError) as e:
        record_visit(world.gm, world.c_am1, occurred_at=when(), amount=100, outlet=other)
    assert "outlet" in errors_of(e)
    assert not Visit.objects.exists()


def test_a_document_number_is_unique_per_property_and_the_message_names_the_visit(world):
    record_visit(world.gm, world.c_am1, occurred_at=when(3, 12), amount=100, doc_no="A1")
    with pytest.raises(Conflict) as e:
        record_visit(world.gm, world.c_pool, occurred_at=when(), amount=100, doc_no="A1")
    day = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    assert day in errors_of(e)["doc_no"][0]
    record_visit(world.gm2, world.c_h2, occurred_at=when(), amount=100, doc_no="A1")  # another property: fine
    assert Visit.objects.count() == 2


def test_a_stay_computes_its_nights_and_checks_its_dates(world):
    arrival = timezone.localdate() - dt.timedelta(days=5)
    v = record_visit(world.desk, world.c_am3, amount=2400, arrival=arrival, departure=arrival + dt.timedelta(days=3),
                     room_type="行政套房", rate="800", channel="携程")
    assert (v.nights, v.occasion, v.is_stay, timezone.localtime(v.occurred_at).date()) == (
        3, "stay", True, arrival + dt.timedelta(days=3))
    world.c_am3.refresh_from_db()
    assert (world.c_am3.stay_count, world.c_am3.nights) == (1, 3)
    assert world.c_am3.consumption["room_types"] == [["行政套房", 1]]
    with pytest.raises(ValidationError) as e:
        record_visit(world.gm, world.c_am3, amount=1, arrival=arrival, departure=arrival - dt.timedelta(days=1))
    assert "departure" in errors_of(e)
    with pytest.raises(ValidationError) as e:
        record_visit(world.gm, world.c_am3, amount=1, arrival=arrival, departure=arrival, rate="-5")
    assert "rate" in errors_of(e)
    with pytest.raises(ValidationError) as e:
        record_visit(world.gm, world.c_am3, amount=1, room_type="大床房")
    assert {"arrival", "departure"} <= set(errors_of(e))
    assert Visit.objects.count() == 1


@pytest.mark.parametrize("amount", ["12.345", "abc", "1.2.3", None, "", "1e400", "NaN", "99999999999"])
def test_bad_amounts_are_refused_with_a_field_message(world, amount):
    with pytest.raises(ValidationError) as e:
        record_visit(world.gm, world.c_am1, occurred_at=when(), amount=amount)
    assert "amount" in errors_of(e)
    assert not Visit.objects.exists()


@pytest.mark.parametrize("text", ["A\x00B", "\ud800", "x" * 41])
def test_odd_text_is_refused(world, text):
    with pytest.raises(ValidationError):
        record_visit(world.gm, world.c_am1, occurred_at=when(), amount=1, doc_no=text)
    assert not Visit.objects.exists()


def test_a_refund_is_a_negative_amount(world):
    record_visit(world.gm, world.c_am1, occurred_at=when(2), amount="500")
    record_visit(world.gm, world.c_am1, occurred_at=when(1), amount="-120.50")
    world.c_am1.refresh_from_db()
    assert (world.c_am1.visit_count, world.c_am1.total_spend, world.c_am1.refund_count,
            world.c_am1.refund_total) == (1, Decimal("379.50"), 1, Decimal("120.50"))


def test_a_future_visit_is_refused(world):
    with pytest.raises(ValidationError) as e:
        record_visit(world.gm, world.c_am1, occurred_at=timezone.now() + dt.timedelta(days=3), amount=1)
    assert "occurred_at" in errors_of(e)


def test_correcting_and_voiding_are_recorded_with_who_and_why(world):
    v = record_visit(world.desk, world.c_am1, occurred_at=when(), amount=300)
    correct_visit(world.desk, v, amount="320", table_no="A8")  # the recorder corrects their own
    void_visit(world.am1, v, "重复录入")  # an editor of the file voids
    v.refresh_from_db()
    assert (v.is_void, v.voided_by, v.void_reason) == (True, world.am1, "重复录入")
    records = list(v.history.order_by("history_date", "history_id"))
    assert [(r.history_user, r.history_change_reason) for r in records] == [
        (world.desk, "recorded"), (world.desk, "corrected"), (world.am1, "voided")]
    assert records[0].amount == Decimal("300.00") and records[1].amount == Decimal("320.00")
    world.c_am1.refresh_from_db()
    assert (world.c_am1.visit_count, world.c_am1.total_spend, world.c_am1.last_visit_at) == (0, 0, None)
    with pytest.raises(Conflict):
        correct_visit(world.gm, v, amount=1)
    with pytest.raises(Conflict):
        void_visit(world.gm, v, "again")


def test_voiding_needs_a_reason(world):
    v = record_visit(world.gm, world.c_am1, occurred_at=when(), amount=300)
    with pytest.raises(ValidationError) as e:
        void_visit(world.gm, v, "  ")
    assert "reason" in errors_of(e)
    assert not Visit.objects.get(pk=v.pk).is_void


def test_who_may_record_correct_and_void(world):
    # The supervisor sees the file but may not enter visits; am1 may not see am2's guest.
    with pytest.raises(PermissionDenied):
        record_visit(world.sup, world.c_am1, occurred_at=when(), amount=1)
    with pytest.raises(Http404):
        record_visit(world.am1, world.c_am2, occurred_at=when(), amount=1)
    with pytest.raises(Http404):
        record_visit(world.gm, world.c_h2, occurred_at=when(), amount=1)
    v = record_visit(world.gm, world.c_am1, occurred_at=when(), amount=1)
    with pytest.raises(PermissionDenied):  # the front desk amends only what it recorded
        correct_visit(world.desk, v, amount=2)
    with pytest.raises(PermissionDenied):
        void_visit(world.sup, v, "x")
    with pytest.raises(Http404):
        void_visit(world.am2, v, "x")
    correct_visit(world.am1, v, amount=2)
    assert Visit.objects.get(pk=v.pk).amount == 2


def test_the_property_cannot_be_changed_by_a_correction(world):
    v = record_visit(SYSTEM, world.c_am1, occurred_at=when(), amount=1)
    with pytest.raises(ValidationError):
        correct_visit(world.gm, v, property=world.h2)
    with pytest.raises(ValidationError):
        correct_visit(world.gm, v, outlet=Outlet.objects.get(property=world.h2))
    assert Visit.objects.get(pk=v.pk).property == world.h1
