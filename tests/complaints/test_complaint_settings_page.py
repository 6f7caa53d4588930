"""/complaints/settings/: the approval threshold, the clock and the time limits (R-8.3)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from yingke.complaints.models import ComplaintPolicy, Severity

pytestmark = pytest.mark.django_db
URL = "/complaints/settings/"


def valid_post(**over):
    data = {"property": "H1", "approval_threshold": "300", "clock": "business", "business_start": "08:00",
            "business_end": "20:00", "business_days": ["1", "2", "3", "4", "5"]}
    for sev in Severity.values:
        for step in range(2, 7):
            data[f"limit_{sev}_{step}"] = str(step)
    data.update(over)
    return data


def test_url_name():
    assert reverse("complaints:settings") == URL


@pytest.mark.parametrize("role,status", [("gm", 200), ("admin", 200), ("gm2", 200), ("desk", 403), ("sup", 403),
                                         ("am1", 403), ("am2", 403)])
def test_who_may_open_it(client, world, role, status):
    client.force_login(getattr(world, role))
    assert client.get(URL).status_code == status


def test_another_property_is_404(client, world):
    client.force_login(world.gm2)
    assert client.get(URL, {"property": "H1"}).status_code == 404
    assert client.get(URL, {"property": "NOPE"}).status_code == 404
    assert client.post(URL, valid_post()).status_code == 404
    assert not ComplaintPolicy.objects.exists()


def test_defaults_are_shown_and_saving_keeps_history(client, world):
    client.force_login(world.gm)
    r = client.get(URL)
    assert r.context["form"].initial["approval_threshold"] == "500.00"
    assert 'value="0.25"' in r.content.decode()  # critical, step 2
    r = client.post(URL, valid_post())
    assert r.status_code == 302
    p = ComplaintPolicy.objects.get(property=world.h1)
    assert p.approval_threshold == Decimal("300.00") and p.clock == "business" and p.business_days == "12345"
    assert p.limit_hours("critical", 2) == 2.0
    client.post(URL, valid_post(approval_threshold="450"))
    r = client.get(URL)
    changes = r.context["changes"]
    assert any(c["action"] == "changed" and "450" in c["after"] for c in changes)
    assert "gm" in r.content.decode()


@pytest.mark.parametrize("over", [
    {"approval_threshold": "abc"}, {"approval_threshold": "-5"}, {"approval_threshold": "1.234"},
    {"clock": "moon"}, {"business_start": "25:00"}, {"business_start": "18:00", "business_end": "09:00"},
    {"business_days": []}, {"limit_high_3": "0"}, {"limit_high_3": "-1"}, {"limit_high_3": "NaN"},
    {"limit_high_3": "99999"}, {"limit_low_6": ""}, {"approval_threshold": "1e400"}, {"approval_threshold": "\x00"},
])
def test_bad_input_changes_nothing(client, world, over):
    client.force_login(world.gm)
    r = client.post(URL, valid_post(**over))
    assert r.status_code == 422
    assert r.context["form"].errors
    assert not ComplaintPolicy.objects.exists()


def test_desk_may_not_save(client, world):
    client.force_login(world.desk)
    assert client.post(URL, valid_post()).status_code == 403
    assert not ComplaintPolicy.objects.exists()


def test_list_shows_the_settings_link_to_configurers_only(client, world):
    client.force_login(world.gm)
    assert URL in client.get("/complaints/").content.decode()
    client.force_login(world.desk)
    assert URL not in client.get("/complaints/").content.decode()
