"""R-9.1: the lost-customer list shows exactly the losses of the files a role sees; the reason
is recorded by who may change the file, from the property's list (details required for
"other"), audited; reasons are configured by the general manager; the 360 page shows a file's
losses; the churn report counts losses by reason, module and account manager and the
customers won back."""

import csv
import datetime as dt
import io

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import translation

from tests.conftest import EXPECTED
from yingke.core.models import AuditEvent
from yingke.core.permissions import NotVisible
from yingke.customers.models import Module
from yingke.grading import churn
from yingke.grading.models import GradingRun, Loss, LossReason

NAMES = {"c_am1": "张三", "c_am2": "单田芳", "c_am3": "曾国藩", "c_pool": "李四", "c_h2": "张珊"}
LOST_ON = dt.date(2026, 11, 1)


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def lost(world):
    """Every file of the world was lost at a run of its property."""
    w = world
    gov = Module.objects.get(property=w.h1, code="government")
    for prop in (w.h1, w.h2):
        run = GradingRun.objects.create(property=prop, as_of=LOST_ON, window_days=60, a_share=20, b_share=50,
                                        trigger="command")
        for key in NAMES:
            c = getattr(w, key)
            if c.property_id == prop.pk:
                setattr(w, f"loss_{key}", Loss.objects.create(
                    customer=c, property=prop, run=run, lost_on=LOST_ON, previous_grade="B", owner=c.owner,
                    module=gov if key == "c_am1" else None))
    w.reasons = {r.code: r for r in LossReason.objects.filter(property=w.h1)}
    return w


def names_in(text):
    return {key for key, name in NAMES.items() if name in text}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_sees_the_losses_of_exactly_its_files(lost, role):
    user = getattr(lost, role)
    r = client_for(user).get("/grading/losses/")
    assert r.status_code == 200
    assert names_in(r.content.decode()) == EXPECTED[role]
    assert {loss.customer_id for loss in churn.visible_losses(user)} == {
        getattr(lost, key).pk for key in EXPECTED[role]}


def test_the_list_filters_by_state_reason_owner_module_and_date(lost):
    w = lost
    churn.explain_loss(w.am1, w.loss_c_am1, w.reasons["poached"], "去了对面酒楼")
    w.loss_c_am2.won_back_on = dt.date(2026, 11, 20)
    w.loss_c_am2.save()
    client = client_for(w.gm)

    def shown(**query):
        return names_in(client.get("/grading/losses/", query).content.decode())

    assert shown(state="open") == {"c_am3", "c_pool"}
    assert shown(state="explained") == {"c_am1"}
    assert shown(state="won_back") == {"c_am2"}
    assert shown(reason=w.reasons["poached"].pk) == {"c_am1"}
    assert shown(owner=w.am3.pk) == {"c_am3"}
    assert shown(module=Module.objects.get(property=w.h1, code="government").pk) == {"c_am1"}
    assert shown(module="none") == {"c_am2", "c_am3", "c_pool"}
    assert shown(start="2026-11-02") == set()
    assert shown(start="2026-11-01", end="2026-11-01") == {"c_am1", "c_am2", "c_am3", "c_pool"}
    bad = client.get("/grading/losses/", {"start": "2026-11-05", "end": "2026-11-01", "state": "zzz"})
    assert bad.status_code == 422 and names_in(bad.content.decode()) == set()


@pytest.mark.parametrize("role,status", [("am1", 302), ("sm", 302), ("gm", 302), ("am2", 404), ("am3", 404),
                                         ("desk", 403), ("sup", 403), ("admin", 404), ("gm2", 404)])
def test_who_may_record_the_reason(lost, role, status):
    r = client_for(getattr(lost, role)).post(f"/grading/losses/{lost.loss_c_am1.pk}/explain/",
                                             {"reason": lost.reasons["left"].pk, "note": ""})
    assert r.status_code == status
    loss = Loss.objects.get(pk=lost.loss_c_am1.pk)
    if status == 302:
        assert loss.reason == lost.reasons["left"] and loss.explained_by == getattr(lost, role)
        record = loss.history.first()
        assert record.history_user == getattr(lost, role) and record.reason_id == lost.reasons["left"].pk
    else:
        assert loss.reason is None and loss.history.count() == 1


def test_other_needs_details_and_bad_reasons_are_refused(lost):
    w = lost
    client = client_for(w.am1)
    url = f"/grading/losses/{w.loss_c_am1.pk}/explain/"
    with translation.override("en"):
        r = client.post(url, {"reason": w.reasons["other"].pk, "note": "  "}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422
    h2_reason = LossReason.objects.filter(property=w.h2).first()
    assert client.post(url, {"reason": h2_reason.pk}).status_code == 422
    assert client.post(url, {"reason": w.reasons["left"].pk, "note": "x" * 501}).status_code == 422
    assert client.post(url, {"reason": "abc"}).status_code == 422
    w.reasons["forced"].is_active = False
    w.reasons["forced"].save()
    with pytest.raises(churn.ValidationError) as e:
        churn.explain_loss(w.am1, w.loss_c_am1, w.reasons["forced"], "")
    assert "reason" in e.value.message_dict
    with pytest.raises(churn.ValidationError) as e:
        churn.explain_loss(w.am1, w.loss_c_am1, w.reasons["left"], "坏\x00字")
    assert "note" in e.value.message_dict
    assert Loss.objects.get(pk=w.loss_c_am1.pk).reason is None
    ok = client.post(url, {"reason": w.reasons["other"].pk, "note": "单位搬迁到外地"}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200 and "单位搬迁到外地" in ok.content.decode()
    assert Loss.objects.get(pk=w.loss_c_am1.pk).note == "单位搬迁到外地"


def test_the_360_page_tag_shows_the_open_loss_with_the_form_to_those_who_may_edit(lost):
    w = lost
    churn.explain_loss(w.gm, w.loss_c_am1, w.reasons["left"], "")
    w.loss_c_am1.won_back_on = dt.date(2026, 11, 20)
    w.loss_c_am1.save()
    Loss.objects.create(customer=w.c_am1, property=w.h1, lost_on=dt.date(2026, 11, 25), previous_grade="A",
                        owner=w.am1)
    template = Template("{% load churn_tags %}{% customer_losses customer user %}")
    request = RequestFactory().get("/customers/1/")

    def render(user, customer):
        request.user = user
        return template.render(Context({"customer": customer, "user": user, "request": request}))

    text = render(w.am1, w.c_am1)
    assert "2026-11-25" in text and "2026-11-20" in text  # the open loss and the past one
    assert 'name="reason"' in text
    desk = render(w.desk, w.c_am1)
    assert "2026-11-25" in desk and 'name="reason"' not in desk  # sees, may not change
    assert render(w.am2, w.c_am1).strip() == ""  # not their file
    assert render(w.am1, w.c_pool).count("2026-11-01") >= 1
    assert render(w.gm2, w.c_h2).count('name="reason"') == 1


def test_reasons_are_configured_by_the_general_manager(lost):
    w = lost
    client = client_for(w.gm)
    page = client.get("/grading/loss-reasons/").content.decode()
    assert "被竞争对手挖走" in page
    assert client.post("/grading/loss-reasons/", {"property": "H1", "name": "价格原因"}).status_code == 302
    new = LossReason.objects.get(property=w.h1, name="价格原因")
    assert client.post("/grading/loss-reasons/", {"property": "H1", "name": "价格原因"}).status_code == 422
    r = client.post(f"/grading/loss-reasons/{new.pk}/", {"name": "价格太高", "sort_order": 0})
    assert r.status_code == 302
    new.refresh_from_db()
    assert (new.name, new.is_active, new.sort_order) == ("价格太高", False, 0)
    client.post(f"/grading/loss-reasons/{w.reasons['other'].pk}/move/", {"direction": "up"})
    order = list(LossReason.objects.filter(property=w.h1).order_by("sort_order", "id").values_list("code", flat=True))
    assert order.index("other") < order.index("forced")
    assert AuditEvent.objects.filter(action__startswith="config.loss_reason.").count() == 3
    assert client_for(w.am1).get("/grading/loss-reasons/").status_code == 403
    assert client_for(w.am1).post(f"/grading/loss-reasons/{new.pk}/move/", {"direction": "up"}).status_code == 403
    assert client_for(w.gm2).get(f"/grading/loss-reasons/{new.pk}/").status_code == 404
    with pytest.raises(NotVisible):
        churn.configurable_reason(w.gm2, new.pk)


def test_the_churn_report_by_reason_module_owner_and_won_back(lost):
    w = lost
    churn.explain_loss(w.am1, w.loss_c_am1, w.reasons["poached"], "")
    churn.explain_loss(w.gm, w.loss_c_am3, w.reasons["poached"], "")
    churn.explain_loss(w.gm, w.loss_c_am2, w.reasons["left"], "")
    for loss in (w.loss_c_am2, w.loss_c_pool):
        loss.refresh_from_db()
        loss.won_back_on = dt.date(2026, 11, 20)
        loss.save()
    report = churn.churn_report(w.gm, w.h1, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert report["lost"] == 4
    assert {r["label"]: r["losses"] for r in report["by_reason"]} == {"被竞争对手挖走": 2, "自行离开": 1,
                                                                       "Not yet explained": 1} or \
        {r["key"]: r["losses"] for r in report["by_reason"]} == {w.reasons["poached"].pk: 2,
                                                                  w.reasons["left"].pk: 1, None: 1}
    assert {r["key"]: r["losses"] for r in report["by_module"]} == {
        Module.objects.get(property=w.h1, code="government").pk: 1, None: 3}
    assert {r["key"]: r["losses"] for r in report["by_owner"]} == {w.am1.pk: 1, w.am2.pk: 1, w.am3.pk: 1, None: 1}
    assert (report["won_back"], report["won_back_explained"]) == (2, 1)
    team = churn.churn_report(w.sm, w.h1, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert team["lost"] == 2 and (team["won_back"], team["won_back_explained"]) == (1, 1)
    empty = churn.churn_report(w.gm, w.h1, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert (empty["lost"], empty["won_back"]) == (0, 0)
    client = client_for(w.gm)
    page = client.get("/grading/losses/report/", {"start": "2026-11-01", "end": "2026-11-30"})
    assert page.status_code == 200 and 'id="churn-lost">4<' in page.content.decode()
    r = client.get("/grading/losses/report/export.csv", {"start": "2026-11-01", "end": "2026-11-30"})
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert rows[1][2] == "4" and rows[-1][2] == "1" and rows[-2][2] == "2"
    assert client.get("/grading/losses/report/", {"start": "2026-11-30", "end": "2026-11-01"}).status_code == 422
    assert client_for(w.am1).get("/grading/losses/report/").status_code == 403
    assert client_for(w.desk).get("/grading/losses/report/").status_code == 403


def test_the_loss_export_holds_only_visible_losses(lost):
    r = client_for(lost.am1).get("/grading/losses/export.csv")
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    assert names_in(text) == EXPECTED["am1"]
    assert client_for(lost.desk).get("/grading/losses/export.csv").status_code == 403
    assert client_for(lost.am1).get("/grading/losses/export.pdf").status_code == 404


def test_the_list_pages_by_keyset_and_keeps_its_filters(lost, django_assert_max_num_queries):
    from tests.conftest import make_customer

    w = lost
    for i in range(60):
        c = make_customer(w.h1, f"L{i:03d}", f"流失{i}", owner=w.am1)
        Loss.objects.create(customer=c, property=w.h1, lost_on=LOST_ON, previous_grade="C", owner=w.am1)
    client = client_for(w.gm)
    with django_assert_max_num_queries(20):
        first = client.get("/grading/losses/", {"state": "open"})
    text = first.content.decode()
    assert text.count('class="strong" href="/customers/') == 50
    assert "state=open&amp;after=" in text
    cursor = text.split("after=")[1].split('"')[0]
    second = client.get(f"/grading/losses/?state=open&after={cursor}").content.decode()
    assert second.count('class="strong" href="/customers/') == 64 - 50
    assert client.get("/grading/losses/?after=garbage").status_code == 200
