"""The 360 page's visits section (R-2.3, R-3.3): the consumption profile, the visits (20 at
a time, voided ones struck through with who and why), add / correct / void by hand with
field errors, each visit's history — and under 15 queries with 200 visits on the file."""

import datetime as dt
import re
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from yingke.visits.models import Visit
from yingke.visits.profile import refresh_profiles
from yingke.visits.services import record_visit, void_visit


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def many_visits(world, n=200):
    now = timezone.now()
    outlet = world.h1.outlets.get()
    Visit.objects.bulk_create([
        Visit(property=world.h1, customer=world.c_am1, outlet=outlet, amount=Decimal(100 + i),
              occurred_at=now - dt.timedelta(hours=i + 1), doc_key=f"D{i}", doc_no=f"D{i}", created_by=world.desk,
              **({"arrival": now.date() - dt.timedelta(days=3), "departure": now.date(), "nights": 3,
                  "room_type": "行政套房", "channel": "携程"} if i % 10 == 0 else {}))
        for i in range(n)])
    refresh_profiles([world.c_am1.pk])


def test_the_360_page_stays_under_15_queries_with_200_visits(world, django_assert_max_num_queries):
    many_visits(world)
    client = client_for(world.am1)
    with django_assert_max_num_queries(14):
        page = client.get(f"/customers/{world.c_am1.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert text.count('class="visit-row') == 20
    assert "?visits=120" in text  # show more
    assert "行政套房" in text and "携程" in text
    more = client.get(f"/visits/customer/{world.c_am1.pk}/?visits=120", HTTP_HX_REQUEST="true")
    assert more.content.decode().count('class="visit-row') == 120


def test_the_section_shows_the_profile_voids_and_refunds(world):
    v = record_visit(world.am1, world.c_am1, occurred_at=timezone.now() - dt.timedelta(days=1), amount="2000",
                     doc_no="P-1")
    record_visit(world.am1, world.c_am1, occurred_at=timezone.now() - dt.timedelta(hours=2), amount="-150")
    void_visit(world.gm, v, "重复录入")
    text = client_for(world.am1).get(f"/customers/{world.c_am1.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "visit-void" in text and "重复录入" in text
    assert re.search(r"Voided by [^<]*gm", text) or "Voided by" in text
    assert "Refund" in text and "−¥150.00" in text


def test_adding_a_visit_by_hand_with_field_errors_then_success(world):
    client = client_for(world.desk)
    url = f"/visits/customer/{world.c_am1.pk}/add/"
    assert client.get(url).status_code == 200
    bad = client.post(url, {"kind": "visit", "occurred_at": "2026-02-30T19:00", "amount": "12.345", "covers": "0"})
    assert bad.status_code == 422
    form = bad.context["form"]
    assert {"occurred_at", "amount", "covers"} <= set(form.errors)
    assert not Visit.objects.exists()
    when = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    ok = client.post(url, {"kind": "visit", "occurred_at": when, "amount": "1,288.50", "covers": "4",
                           "outlet": world.h1.outlets.get().pk, "doc_no": "POS-7"})
    assert ok.status_code == 302 and ok["Location"].endswith(f"/customers/{world.c_am1.pk}/#visits")
    visit = Visit.objects.get()
    assert (visit.amount, visit.created_by, visit.property) == (Decimal("1288.50"), world.desk, world.h1)
    dup = client.post(url, {"kind": "visit", "occurred_at": when, "amount": "5", "covers": "1", "doc_no": "POS-7"})
    assert dup.status_code == 422 and "doc_no" in dup.context["form"].errors


def test_adding_a_stay_checks_the_dates(world):
    client = client_for(world.am1)
    url = f"/visits/customer/{world.c_am1.pk}/add/?kind=stay"
    assert 'name="arrival"' in client.get(url).content.decode()
    day = timezone.localdate() - dt.timedelta(days=3)
    bad = client.post(url, {"kind": "stay", "arrival": day.isoformat(), "departure": (day - dt.timedelta(days=1))
                            .isoformat(), "amount": "800", "covers": "2"})
    assert bad.status_code == 422 and "departure" in bad.context["form"].errors
    ok = client.post(url, {"kind": "stay", "arrival": day.isoformat(), "departure": (day + dt.timedelta(days=2))
                           .isoformat(), "amount": "1600", "covers": "2", "room_type": "豪华大床房", "rate": "800",
                           "channel": "携程"})
    assert ok.status_code == 302
    assert Visit.objects.get().nights == 2


def test_correct_void_and_history_pages(world):
    v = record_visit(world.desk, world.c_am1, occurred_at=timezone.now() - dt.timedelta(days=1), amount="300")
    desk, sup = client_for(world.desk), client_for(world.sup)
    base = f"/visits/customer/{world.c_am1.pk}/{v.pk}"
    assert sup.get(f"{base}/correct/").status_code == 403
    page = desk.get(f"{base}/correct/")
    assert page.status_code == 200 and 'value="300.00"' in page.content.decode()
    data = {"kind": "visit", "occurred_at": timezone.localtime(v.occurred_at).strftime("%Y-%m-%dT%H:%M"),
            "amount": "320", "covers": "2"}
    assert desk.post(f"{base}/correct/", data).status_code == 302
    assert desk.post(f"{base}/void/", {"reason": ""}).status_code == 422
    assert desk.post(f"{base}/void/", {"reason": "客人取消"}).status_code == 302
    v.refresh_from_db()
    assert (v.amount, v.void_reason) == (Decimal("320.00"), "客人取消")
    history = desk.get(f"{base}/history/", HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "320.00" in history and "300.00" in history and "客人取消" in history
    # Another file's visit through this file's URL: 404.
    assert desk.get(f"/visits/customer/{world.c_pool.pk}/{v.pk}/history/").status_code == 404
    assert client_for(world.am2).get(f"{base}/history/").status_code == 404
