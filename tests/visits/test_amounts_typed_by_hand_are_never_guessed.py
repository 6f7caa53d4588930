"""An amount typed on the 360 page or sent to the API is read by the project's one amount
parser (core.parsing.parse_decimal, R-3.2) — the same rules as an import: '￥1,234.50',
'1234.5元', full-width digits and '-88' are read; '1,5' (12.34 or 15?), '12,34', '12.3.4'
and a third decimal are refused with a field message, never silently changed."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.api.helpers import token_client
from yingke.visits.forms import VisitForm
from yingke.visits.models import Visit
from yingke.visits.services import record_visit


def yesterday():
    return timezone.make_aware(dt.datetime.combine(timezone.localdate() - dt.timedelta(days=1), dt.time(19)))


@pytest.mark.parametrize("typed,stored", [
    ("￥1,234.50", Decimal("1234.50")), ("1234.5元", Decimal("1234.50")), ("１２８．００", Decimal("128.00")),
    (" 128.00 ", Decimal("128.00")), ("-88", Decimal("-88.00")), (Decimal("12.3"), Decimal("12.30")), (7, Decimal("7.00")),
])
def test_what_staff_write_is_read(world, typed, stored):
    assert record_visit(world.gm, world.c_am1, occurred_at=yesterday(), amount=typed).amount == stored


@pytest.mark.parametrize("typed", ["1,5", "12,34", "1,2345", "12.3.4", "1.005", "1e5", "NaN", "Infinity"])
def test_ambiguous_amounts_are_refused_in_the_service(world, typed):
    with pytest.raises(ValidationError) as e:
        record_visit(world.gm, world.c_am1, occurred_at=yesterday(), amount=typed)
    assert "amount" in e.value.message_dict
    assert not Visit.objects.exists()


def test_the_form_refuses_a_comma_decimal(world):
    form = VisitForm({"amount": "1,5", "covers": 1, "occurred_at": yesterday().strftime("%Y-%m-%dT%H:%M")},
                     customer=world.c_am1)
    assert not form.is_valid() and "amount" in form.errors


@pytest.mark.parametrize("amount,status,stored", [
    ("1,5", 422, None), ("12.3.4", 422, None), ("￥1,234.50", 201, "1234.50"), (1234.5, 201, "1234.50"),
    (88, 201, "88.00"), ("-88", 201, "-88.00"), (12.345, 422, None), ("1e5", 422, None),
])
def test_the_api_takes_a_number_or_a_string_by_the_same_rules(world, amount, status, stored):
    response = token_client(world.am1).post(
        f"/api/customers/{world.c_am1.pk}/visits",
        json.dumps({"occurred_at": yesterday().isoformat(), "amount": amount}))
    assert response.status_code == status, response.content
    if stored:
        assert Visit.objects.get().amount == Decimal(stored)
    else:
        assert "amount" in response.json()["errors"] and not Visit.objects.exists()
