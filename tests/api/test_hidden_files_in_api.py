"""The API shows nothing of a file the user may not open (R-1.2): history, contact people."""

import json

EN = {"Accept-Language": "en"}


# ---- history and contacts: nothing about a file the user may not open -------------------

def test_history_does_not_name_a_hidden_contact_file(world, org, api_as):
    response = api_as(world.am1).get(f"/api/customers/{org.pk}/history", **EN)
    assert response.status_code == 200
    text = json.dumps(response.json(), ensure_ascii=False)
    assert "单田芳" not in text and "a file you may not open" in text
    full = json.dumps(api_as(world.gm).get(f"/api/customers/{org.pk}/history").json(), ensure_ascii=False)
    assert "单田芳" in full


def test_contact_mobile_hidden_when_the_person_file_is_hidden(world, org, api_as):
    [item] = api_as(world.am1).get(f"/api/customers/{org.pk}/contacts").json()["items"]
    assert item["person"]["visible"] is False
    assert item["person"]["mobile"] == "" and item["person"]["id"] is None
    [item] = api_as(world.gm).get(f"/api/customers/{org.pk}/contacts").json()["items"]
    assert item["person"]["visible"] is True and item["person"]["mobile"] == "13912340001"


def test_added_contact_mobile_follows_visibility(world, org, api_as):
    response = api_as(world.am1).post(f"/api/customers/{org.pk}/contacts", {"person_id": world.c_pool.pk})
    assert response.status_code == 201
    assert response.json()["person"]["mobile"] == "13612340003"  # the pool is open to am1


