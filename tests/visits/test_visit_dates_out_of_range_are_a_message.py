"""A visit's date and time is between 2000 and tomorrow, local time (R-3.1), decided in one
place (visits.services) — dates at the very ends of the calendar with an offset (that would
overflow when converted to local time) are a field message, never a 500."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime

from tests.api.helpers import token_client
from yingke.visits.models import Visit
from yingke.visits.services import record_visit

EXTREMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-12:00", "0001-01-01T00:00:00",
            "9999-12-31T23:59:59", "1999-12-31T10:00:00+00:00"]


@pytest.mark.parametrize("when", EXTREMES)
def test_the_api_answers_422(world, when):
    response = token_client(world.am1).post(f"/api/customers/{world.c_am1.pk}/visits",
                                            json.dumps({"occurred_at": when, "amount": "1"}))
    assert response.status_code == 422, response.content
    assert "occurred_at" in response.json()["errors"]
    assert not Visit.objects.exists()


@pytest.mark.parametrize("when", EXTREMES)
def test_the_service_refuses_with_a_field_message(world, when):
    with pytest.raises(ValidationError) as e:
        record_visit(world.gm, world.c_am1, occurred_at=parse_datetime(when), amount=1)
    assert "occurred_at" in e.value.message_dict


def test_the_first_day_of_2000_is_accepted(world):
    v = record_visit(world.gm, world.c_am1, occurred_at=parse_datetime("2000-01-01T12:00:00+08:00"), amount=1)
    assert v.pk
