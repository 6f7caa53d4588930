"""`yingke grade --as-of` refuses a date after today in the property's time zone (as the web
form and the API do): exit 2, a clear message, nothing stored."""

import datetime as dt

import pytest
from django.utils import timezone

from yingke.cli.main import main
from yingke.grading.models import GradingRun

from .grading_factories import make_property


@pytest.fixture
def english(monkeypatch):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "en_GB.UTF-8")


@pytest.mark.django_db
def test_a_date_after_today_is_refused(capsys, english):
    prop = make_property(code="FUT", time_zone="Pacific/Kiritimati")  # UTC+14: today there may be tomorrow in UTC
    today = prop.local_today()
    tomorrow = today + dt.timedelta(days=1)
    code = main(["grade", "--property", "FUT", "--as-of", tomorrow.isoformat()])
    err = capsys.readouterr().err
    assert code == 2
    assert f"The as-of date {tomorrow.isoformat()} is after today ({today.isoformat()}" in err
    assert not GradingRun.objects.filter(property=prop).exists()


@pytest.mark.django_db
def test_today_in_the_property_time_zone_is_accepted(capsys, english):
    prop = make_property(code="KIR", time_zone="Pacific/Kiritimati")
    today = prop.local_today()
    assert today >= timezone.now().date()
    assert main(["grade", "--property", "KIR", "--as-of", today.isoformat()]) == 0
    assert GradingRun.objects.get(property=prop).as_of == today
