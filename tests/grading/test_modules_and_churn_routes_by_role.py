"""Every page and API route of modules, targets, reports and churn, for every role: allowed,
403 (seen but not theirs) or 404 (another property's row), written out from the role table
(configuration: general manager and administrator; reports: general manager and sales
manager; losses: through the file's row rule, recorded by who may change the file)."""

import datetime as dt

import pytest
from django.test import Client

from tests.api.helpers import token_client
from yingke.customers.models import Module
from yingke.grading import segments
from yingke.grading.models import GradingRun, Loss, LossReason

ROLES = ["gm", "sm", "am1", "am2", "desk", "sup", "admin", "gm2", "am_h2"]
CONFIG = {"gm": 200, "admin": 200}
REPORTS = {"gm": 200, "sm": 200}


def expect(table: dict, default=403, other_property=404) -> dict:
    """Status per role: `table`, else gm2/am_h2 (another property) `other_property`, else `default`."""
    out = {}
    for role in ROLES:
        if role in table:
            out[role] = table[role]
        elif role in ("gm2", "am_h2") and other_property is not None:
            out[role] = other_property if role == "gm2" or default != 403 else default
        else:
            out[role] = default
    return out


@pytest.fixture
def rows(world):
    gov = Module.objects.get(property=world.h1, code="government")
    target = segments.create_target(world.gm, gov, period="month", start=dt.date(2026, 10, 1))
    run = GradingRun.objects.create(property=world.h1, as_of=dt.date(2026, 11, 1), window_days=60, a_share=20,
                                    b_share=50, trigger="command")
    loss = Loss.objects.create(customer=world.c_am1, property=world.h1, run=run, lost_on=run.as_of,
                               previous_grade="A", owner=world.am1)
    reason = LossReason.objects.filter(property=world.h1).first()
    return {"module": gov.pk, "target": target.pk, "loss": loss.pk, "reason": reason.pk}


def ui_cases(r):
    own_props = {"gm2": 200}  # a GM of H2 configures and reads H2 (the page opens on their property)
    return [
        ("/grading/modules/", expect({**CONFIG, **own_props}, other_property=None)),
        ("/grading/modules/new/", expect({**CONFIG, **own_props}, other_property=None)),
        (f"/grading/modules/{r['module']}/", expect(CONFIG)),
        (f"/grading/modules/{r['module']}/targets/", expect(CONFIG)),
        (f"/grading/modules/targets/{r['target']}/", expect(CONFIG)),
        ("/grading/modules/report/", expect({**REPORTS, **own_props}, other_property=None)),
        ("/grading/modules/report/export.csv", expect({**REPORTS, **own_props}, other_property=None)),
        ("/grading/losses/", dict.fromkeys(ROLES, 200)),  # administrators: the empty list
        ("/grading/losses/export.csv", expect({"gm": 200, "sm": 200, "am1": 200, "am2": 200, "gm2": 200,
                                               "am_h2": 200}, other_property=None)),
        (f"/grading/losses/{r['loss']}/explain/", {"gm": 200, "sm": 200, "am1": 200, "am2": 404, "desk": 403,
                                                   "sup": 403, "admin": 404, "gm2": 404, "am_h2": 404}),
        ("/grading/losses/report/", expect({**REPORTS, **own_props}, other_property=None)),
        ("/grading/losses/report/export.xlsx", expect({**REPORTS, **own_props}, other_property=None)),
        ("/grading/loss-reasons/", expect({**CONFIG, **own_props}, other_property=None)),
        (f"/grading/loss-reasons/{r['reason']}/", expect(CONFIG)),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role_as_the_role_table_says(world, rows, role):
    client = Client()
    client.force_login(getattr(world, role))
    for url, statuses in ui_cases(rows):
        assert client.get(url).status_code == statuses[role], (role, url)
    # the write-only routes
    assert client.get("/grading/modules/apply-suggestions/").status_code == 405
    moved = client.post(f"/grading/loss-reasons/{rows['reason']}/move/", {"direction": "down"}).status_code
    assert moved == {"gm": 302, "admin": 302}.get(role, 404 if role == "gm2" else 403), role
    applied = client.post("/grading/modules/apply-suggestions/", {"property": "H1", "confirm": "on"}).status_code
    assert applied == {"gm": 302, "admin": 302}.get(role, 404 if role == "gm2" else 403), role


def test_anonymous_is_sent_to_the_login(world, rows):
    for url, _statuses in ui_cases(rows):
        assert Client().get(url).status_code == 302, url


@pytest.mark.parametrize("role", ROLES)
def test_every_api_read_answers_each_role(world, rows, role):
    api = token_client(getattr(world, role))
    everyone = dict.fromkeys(ROLES, 200)
    cases = [
        ("/api/modules", everyone),
        ("/api/modules?property=H1", {**everyone, "gm2": 404, "am_h2": 404}),
        (f"/api/modules/{rows['module']}/targets", {**expect({**CONFIG, **REPORTS}), "am_h2": 404}),
        ("/api/reports/modules?property=H1", {**expect(REPORTS), "am_h2": 404}),
        ("/api/reports/churn?property=H1", {**expect(REPORTS), "am_h2": 404}),
        ("/api/losses", everyone),
        ("/api/loss-reasons", everyone),
    ]
    for url, statuses in cases:
        path, _, query = url.partition("?")
        data = dict(p.split("=") for p in query.split("&")) if query else None
        assert api.get(path, data).status_code == statuses[role], (role, url)


def test_anonymous_api_is_401(world, rows):
    from tests.api.helpers import ApiClient

    anon = ApiClient(Client())
    for path in ("/api/modules", "/api/losses", "/api/reports/modules", "/api/reports/churn", "/api/loss-reasons",
                 f"/api/modules/{rows['module']}/targets"):
        assert anon.get(path).status_code == 401, path
    assert anon.post(f"/api/losses/{rows['loss']}/explain", {"reason": rows["reason"]}).status_code == 401
