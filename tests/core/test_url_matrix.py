"""R-1.2 through every path: each URL pattern of the site and of the API is listed here
with the kind of data it serves, and walked for every role. A new URL that is not in
MATRIX fails the first test, so no view can skip the permission rule unnoticed.

Kinds:
  public    – answers without login and shows no customer data
  staff     – needs login, shows no customer rows
  list      – shows customer rows: each role sees exactly its files (names in the page)
  customer  – takes a customer id: a file the role may not see gives 404, never data
  item      – takes a customer id and a row of that file: the same
  create    – creates a file (the property check is in the view and API tests)
  pairs     – pairs of files (possible duplicates): a pair only when the role sees both files
  run       – takes a grading run id: the run's customers are shown only as the row rule allows
              (or the role is refused), whichever property the run belongs to
  subset    – shows some customer rows (the pool, the assignment queue, control tables, claims,
              complaints): never a file outside the role's rule, whatever the query (or the role
              is refused)
  complaint – takes a complaint id: a complaint the role may not see (its guest's file outside
              the rule; an anonymous one for roles that are not property-wide) gives 404
  tracked   – takes the id of a tracking row (lead, task, commitment, visit plan or report,
              opportunity): a row the role may not see answers like one that does not exist
"""

import csv
import datetime as dt
import io
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.conftest import CUSTOMERS, EXPECTED
from yingke.complaints import services as complaints
from yingke.complaints.models import Complaint
from yingke.control.models import Unassigned
from yingke.core.models import ApiToken
from yingke.core.permissions import SYSTEM
from yingke.customers.models import ContactLink, Customer, Preference, SpecialDate
from yingke.customers.services import add_preference, link_contact, save_special_date
from yingke.grading.models import Loss
from yingke.grading.services import run_grading
from yingke.tracking.models import (
    Commitment,
    FollowUp,
    Lead,
    Opportunity,
    PlannedVisit,
    Task,
    VisitPlan,
    VisitReport,
)
from yingke.tracking.plans import plans_visible_to
from yingke.visits.models import Visit

MATRIX = {
    # site
    "home": "list", "login": "public", "logout": "staff", "password_change": "staff",
    "password_change_done": "staff", "set_language": "public", "search": "list", "search_suggest": "list",
    "customers:list": "list", "customers:export_csv": "list", "customers:export_xlsx": "list",
    "customers:create": "create", "customers:quick": "create", "customers:mobile_check": "staff",
    "customers:count": "staff",
    "customers:detail": "customer", "customers:edit": "customer", "customers:history": "customer",
    "customers:preference_add": "customer", "customers:preference_delete": "item",
    "customers:date_add": "customer", "customers:date_delete": "item", "customers:note_add": "customer",
    "customers:contact_add": "customer", "customers:contact_delete": "item",
    "customers:group_link": "customer", "customers:group_unlink": "customer",
    # API
    "api:openapi-json": "public", "api:openapi-view": "public", "api:health": "public", "api:api-root": "public",
    "api:?": "public", "api:me": "staff", "api:list_tokens": "staff", "api:create_token": "staff",
    "api:delete_token": "staff", "api:list_customers": "list", "api:create_customer": "create",
    "api:search_customers": "list", "api:get_customer": "customer", "api:update_customer": "customer",
    "api:list_contacts": "customer", "api:add_contact": "customer", "api:remove_contact": "item",
    "api:list_preferences": "customer", "api:add_preference": "customer", "api:delete_preference": "item",
    "api:list_special_dates": "customer", "api:add_special_date": "customer", "api:update_special_date": "item",
    "api:delete_special_date": "item", "api:list_notes": "customer", "api:add_note": "customer",
    "api:customer_history": "customer",
    # responsibility and control (tests/control): routes on one file, and pages listing some files
    "control:claim": "customer", "control:release": "customer", "control:ownership": "customer",
    "control:queue_assign": "customer", "api:claim_file": "customer", "api:release_file": "customer",
    "api:customer_assignments": "customer",
    "control:pool": "subset", "control:queue": "subset", "control:today": "subset", "control:today_export": "subset",
    "control:team": "subset", "control:team_print": "subset", "control:claims": "subset",
    "api:assignment_queue": "subset", "api:list_claims": "subset", "api:control_table": "subset",
    "api:control_table_team": "subset",
    # visits and stays of a file (tests/visits, tests/api/test_visits_api.py)
    "visits:section": "customer", "visits:add": "customer", "visits:correct": "item", "visits:void": "item",
    "visits:history": "item", "api:list_visits": "customer", "api:record_visit": "customer",
    "api:correct_visit": "item", "api:void_visit": "item", "api:visit_changes": "item",
    # duplicates: "pairs" lists or acts on pairs of files, shown only when the role sees both
    # (tests/customers/test_duplicate_pairs.py, test_who_may_merge.py, tests/api/test_duplicates_api.py)
    # grading: a file's grade card and override (tests/grading/test_grade_override.py)
    "grading:grade_card": "customer", "grading:override_set": "customer", "grading:override_remove": "customer",
    "api:customer_grades": "customer", "api:set_grade_override": "customer", "api:remove_grade_override": "customer",
    "grading:run": "run", "grading:run_export": "run", "api:list_grade_entries": "run",
    "api:export_grading_run": "run",
    # lost customers: each through the row rule like files (filled gives every file a loss)
    "grading:losses": "list", "api:list_losses": "list", "grading:losses_export": "list",
    "duplicates:list": "pairs", "duplicates:dismiss": "pairs", "api:list_duplicates": "pairs",
    "api:dismiss_duplicate": "pairs", "duplicates:merge": "customer", "api:merge_customer": "customer",
    # configuration (no customer rows; who may change what: tests/*/test_configuration_*.py)
    **dict.fromkeys([
        "config:index", "config:property_create", "config:property", "config:outlet_create", "config:outlet_edit",
        "config:staff", "config:staff_create", "config:staff_edit", "config:staff_active", "config:staff_password",
        "tags:list", "tags:edit", "tags:merge", "tags:delete",
        # imports: no guest files, only rejected rows' values (who: tests/imports/test_import_pages*.py)
        "imports:list", "imports:new", "imports:detail", "imports:start", "imports:discard", "imports:progress",
        "imports:rejected_csv", "imports:problems_export",
        "api:list_imports", "api:create_import", "api:get_import", "api:list_import_problems",
        "api:list_properties", "api:create_property", "api:update_property",
        "api:list_outlets", "api:create_outlet", "api:update_outlet",
        "api:list_staff", "api:create_staff", "api:update_staff", "api:reset_staff_password",
        "api:list_tags", "api:create_tag", "api:update_tag", "api:delete_tag", "api:merge_tag",
        # management reports: aggregates only, team-limited for sales managers (tests/reports/)
        "reports:dashboard", "reports:pareto", "reports:export", "reports:meal_periods", "api:get_dashboard",
        "api:export_dashboard_table",
        # grading runs, parameters, modules, targets, reasons and the module/churn reports: counts and
        # configuration, customers only as aggregates (who may: tests/grading/test_*_by_role*.py,
        # test_grading_pages.py, tests/api/test_grading_api.py, test_segments_api.py)
        "grading:index", "grading:grade_now", "grading:policy", "api:list_grading_runs", "api:start_grading_run",
        "api:get_grading_run", "api:get_grading_policy", "api:update_grading_policy",
        "grading:modules", "grading:module_create", "grading:module_edit", "grading:module_delete",
        "grading:module_apply_suggestions", "grading:module_targets", "grading:module_target_edit",
        "grading:module_report", "grading:module_report_export", "grading:loss_explain", "grading:churn_report",
        "grading:churn_report_export", "grading:loss_reasons", "grading:loss_reason_edit",
        "grading:loss_reason_move", "api:list_modules", "api:create_module", "api:update_module",
        "api:list_module_targets", "api:create_module_target", "api:update_module_target", "api:modules_report",
        "api:explain_loss", "api:list_loss_reasons", "api:churn_report",
        # control: rules, settings, targets and their figures, decisions on claims, handover — counts and
        # configuration (who may: tests/control/test_*_by_role*, *_pages.py, *_api.py)
        "control:assignment", "control:assignment_policy", "control:staff_setting", "control:queue_apply",
        "control:bulk_assign", "control:targets", "control:targets_copy", "control:target_edit", "control:nodes",
        "control:nodes_export", "control:handover", "control:claim_code", "control:approve", "control:refuse",
        "control:withdraw", "api:list_targets", "api:put_targets", "api:target_nodes", "api:get_assignment_policy",
        "api:update_assignment_policy", "api:list_staff_settings", "api:update_staff_setting",
        "api:assign_customers", "api:claim_by_code", "api:approve_claim", "api:refuse_claim", "api:withdraw_claim",
        "api:get_staff_holdings", "api:hand_over_staff",
        # complaints: recording, settings, reports (aggregates), the QR sheet, notifications (the caller's
        # own) — who may: tests/complaints/test_complaint_*.py, tests/api/test_complaints_api.py,
        # test_notifications_api.py, tests/core/test_notifications_page.py
        "complaints:new", "complaints:settings", "complaints:report", "complaints:report_export", "complaints:qr",
        "api:record_complaint", "api:get_complaint_policy", "api:update_complaint_policy",
        "api:get_complaint_reports", "api:export_complaint_table", "api:list_notifications",
        "api:mark_notifications_read", "notifications:list", "notifications:read_all", "notifications:open",
    ], "staff"),
    # complaints (issue 16): lists name guests only as the row rule allows; one complaint's routes follow
    # its guest, anonymous ones the property-wide roles
    "complaints:list": "subset", "complaints:export": "subset", "api:list_complaints": "subset",
    "complaints:feedback": "subset", "complaints:feedback_export": "subset",
    **dict.fromkeys(["complaints:detail", "complaints:step", "complaints:on_the_spot", "complaints:decide",
                     "complaints:photo_upload", "complaints:photo", "complaints:photo_remove", "api:get_complaint",
                     "api:advance_complaint", "api:resolve_on_the_spot", "api:decide_compensation"], "complaint"),
    # the guests' feedback page (R-8.4): no account, no customer data
    "feedback:page": "public", "feedback:thanks": "public",
    # tracking (issue 15): lists name files and leads only as the rule allows; a file's card and forms
    # follow the file; one tracking row's routes follow that row's rule; the reports are aggregates
    # (who may: tests/tracking/test_tracking_reports.py) and the cadences configuration
    **dict.fromkeys(["tracking:leads", "tracking:leads_export", "tracking:board", "tracking:tasks",
                     "tracking:tasks_export", "tracking:follow_ups", "tracking:follow_ups_export",
                     "tracking:commitments", "tracking:commitments_export", "tracking:plans",
                     "tracking:visit_reports", "tracking:pipeline", "tracking:pipeline_export", "tracking:forecast",
                     "tracking:forecast_export", "tracking:runs", "api:list_visit_plans", "api:list_visit_reports",
                     "api:list_opportunities", "api:opportunity_forecast", "api:list_leads", "api:list_follow_ups",
                     "api:list_tasks", "api:list_commitments", "api:list_scheduler_runs"], "subset"),
    **dict.fromkeys(["tracking:customer_card", "tracking:customer_follow_up", "tracking:customer_task",
                     "tracking:commitment_add"], "customer"),
    **dict.fromkeys(["tracking:lead", "tracking:lead_edit", "tracking:lead_stage", "tracking:lead_follow_up",
                     "tracking:lead_drop", "tracking:lead_reopen", "tracking:lead_convert", "tracking:task_done",
                     "tracking:commitment_keep", "tracking:plan", "tracking:plan_line_add",
                     "tracking:plan_line_remove", "tracking:plan_submit", "tracking:plan_decide",
                     "tracking:visit_report", "tracking:opportunity", "tracking:opportunity_edit",
                     "tracking:opportunity_stage", "api:get_visit_plan", "api:update_visit_plan",
                     "api:submit_visit_plan", "api:decide_visit_plan", "api:get_visit_report", "api:get_opportunity",
                     "api:update_opportunity", "api:move_opportunity_stage", "api:get_lead", "api:update_lead",
                     "api:move_lead", "api:drop_lead", "api:reopen_lead", "api:lead_possible_files",
                     "api:convert_lead", "api:complete_task", "api:keep_commitment"], "tracked"),
    **dict.fromkeys(["tracking:lead_new", "tracking:cadences", "tracking:cadence_new", "tracking:cadence_edit",
                     "tracking:run_now", "tracking:plan_new", "tracking:visit_report_new",
                     "tracking:opportunity_new", "tracking:funnel", "tracking:ordinals", "tracking:sources",
                     "tracking:spend", "tracking:report_export", "api:get_funnel_report", "api:get_ordinals_report",
                     "api:get_sources_report", "api:export_tracking_report_table", "api:list_source_spend",
                     "api:set_source_spend", "api:create_visit_plan", "api:create_visit_report",
                     "api:create_opportunity", "api:create_lead", "api:log_follow_up", "api:add_task",
                     "api:add_commitment", "api:list_cadence_rules", "api:create_cadence_rule",
                     "api:update_cadence_rule", "api:run_scheduler_now"], "staff"),
}
METHODS = ("get", "post", "patch", "delete")


def walk(patterns, prefix="", ns=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern), p.namespace or ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), (f"{ns}:" if ns else "") + (p.name or "?")


ROUTES = list(walk(get_resolver().url_patterns))


def test_every_route_is_in_the_matrix():
    names = {name for _route, name in ROUTES}
    assert names - set(MATRIX) == set(), "add these routes to MATRIX (and so to the permission walk)"
    assert set(MATRIX) - names == set(), "these MATRIX entries no longer exist"


def routes_of(kind):
    return sorted({route for route, name in ROUTES if MATRIX[name] == kind})


def url_for(route, customer_id, item_id=None):
    path = re.sub(r"<int:(pk|customer_id)>", str(customer_id), route)
    path = re.sub(r"<int:\w+>", str(item_id or 0), path)
    return "/" + path


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def token_headers(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user)[1]}"}


def send(client, method, url, headers):
    if method in ("post", "patch"):
        return getattr(client, method)(url, data="{}", content_type="application/json", **headers)
    return getattr(client, method)(url, **headers)


@pytest.fixture
def filled(world):
    """Each customer gets a preference, a special date falling today and an organisation link."""
    today = timezone.localdate()
    for key in CUSTOMERS:
        c = getattr(world, key)
        add_preference(SYSTEM, c, Preference.Category.TEA, "龙井")
        save_special_date(SYSTEM, SpecialDate(customer=c, month=today.month, day=today.day))
        from tests.conftest import make_customer

        org = make_customer(c.property, f"ORG-{key}", f"单位{key}", kind=Customer.Kind.ORGANISATION, owner=c.owner)
        link_contact(SYSTEM, org, c)
        Visit.objects.create(property=c.property, customer=c, amount=100, occurred_at=timezone.now())
        Loss.objects.create(customer=c, property=c.property, lost_on=today, previous_grade="A", owner=c.owner)
        # every file waiting in the assignment queue and overdue, so that each subset page lists it
        Unassigned.objects.create(property=c.property, customer=c, reason="matrix")
        Customer.objects.filter(pk=c.pk).update(usual_interval=7, expected_next_visit=today - dt.timedelta(days=3),
                                                grade="A")
        complaints.record(SYSTEM, c.property, kind="food", words="菜凉了", customer=c)
        # tracking rows about the file, and a lead of the same owner (issue 15)
        Lead.objects.create(property=c.property, owner=c.owner, name=LEAD_NAMES[key], source="marketing")
        FollowUp.objects.create(property=c.property, customer=c, channel="phone", outcome="reached", summary="回访")
        Task.objects.create(property=c.property, customer=c, title="回访", due_on=today, assignee=c.owner)
        Commitment.objects.create(property=c.property, customer=c, owner=c.owner or world.gm, promised="送果盘",
                                  due_on=today)
        Opportunity.objects.create(property=c.property, owner=c.owner, customer=c, kind="banquet", title="寿宴",
                                   amount=1000, expected_on=today)
        if c.owner is not None:
            plan = VisitPlan.objects.create(property=c.property, owner=c.owner, month=today.replace(day=1))
            PlannedVisit.objects.create(plan=plan, customer=c, planned_on=today, purpose="拜访")
        VisitReport.objects.create(property=c.property, customer=c, owner=c.owner or world.gm, visited_on=today,
                                   purpose="拜访", outcome="好")
    for prop in (world.h1, world.h2):  # anonymous: only the property-wide roles see them
        complaints.record(SYSTEM, prop, kind="other", words="匿名", contact_name=f"匿名{prop.code}")
    return world


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_customer_routes_give_404_for_files_outside_the_rule(filled, role):
    """Every route taking a customer id, every method it answers, UI and API."""
    user = getattr(filled, role)
    client, headers = client_for(user), token_headers(user)
    for key in CUSTOMERS:
        customer = getattr(filled, key)
        for route in routes_of("customer"):
            for method in METHODS:
                response = send(client, method, url_for(route, customer.id), headers)
                if response.status_code == 405:
                    continue
                if key in EXPECTED[role]:
                    assert response.status_code != 404, (role, key, method, route)
                    continue
                # Indistinguishable from an id that does not exist: 404, or the same body
                # validation error (422) that a missing id gets before the lookup.
                missing = send(client, method, url_for(route, 10**9), headers)
                assert response.status_code == missing.status_code, (role, key, method, route)
                assert response.status_code in (404, 422), (role, key, method, route, response.status_code)
                assert customer.name not in response.content.decode(errors="ignore")


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_complaint_routes_give_404_for_complaints_outside_the_rule(filled, role):
    """Every route taking a complaint id, every method, UI and API: a complaint the role may not
    see answers like one that does not exist, and shows neither its guest nor its contact."""
    user = getattr(filled, role)
    client, headers = client_for(user), token_headers(user)
    visible = set(Complaint.objects.visible_to(user).values_list("pk", flat=True))
    wide = role in ("gm", "desk", "sup", "gm2")
    for c in Complaint.objects.select_related("customer", "property"):
        key = next((k for k in CUSTOMERS if c.customer_id == getattr(filled, k).pk), None)
        allowed = key in EXPECTED[role] if key else (wide and c.property_id in user.property_ids())
        assert (c.pk in visible) == allowed, (role, c.pk)
        for route in routes_of("complaint"):
            for method in METHODS:
                path = "/" + re.sub(r"<int:(pk|complaint_id)>", str(c.pk), route).replace("<int:photo_id>", "1")
                response = send(client, method, path, headers)
                if response.status_code == 405 or allowed:
                    continue
                missing = send(client, method, path.replace(f"/{c.pk}/", f"/{10**9}/", 1)
                               if f"/{c.pk}/" in path else path[: -len(str(c.pk))] + str(10**9), headers)
                assert response.status_code == missing.status_code, (role, c.pk, method, route)
                assert response.status_code in (404, 422), (role, c.pk, method, route, response.status_code)
                body = response.content.decode(errors="ignore")
                assert (c.customer.name if c.customer else c.contact_name) not in body


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_item_routes_give_404_for_rows_of_files_outside_the_rule(filled, role):
    """Item routes with the item's own customer id: rows of an invisible file are 404."""
    user = getattr(filled, role)
    client, headers = client_for(user), token_headers(user)
    for key in set(CUSTOMERS) - EXPECTED[role]:
        customer = getattr(filled, key)
        items = {
            "preference": Preference.objects.filter(customer=customer).first().id,
            "date": SpecialDate.objects.filter(customer=customer).first().id,
            "contact": ContactLink.objects.filter(person=customer).first(),
            "visit": Visit.objects.filter(customer=customer).first().id,
        }
        for route in routes_of("item"):
            if "visit" in route:
                owner_id, item = customer.id, items["visit"]
            elif "contact" in route:
                link = items["contact"]
                owner_id, item = link.organisation_id, (link.id if "<int:item>" in route else link.person_id)
            else:
                owner_id, item = customer.id, items["preference" if "preference" in route else "date"]
            for method in METHODS:
                response = send(client, method, url_for(route, owner_id, item), headers)
                if response.status_code == 405:
                    continue
                assert response.status_code == 404, (role, key, method, route, response.status_code)
    # Nothing was deleted by any of those requests.
    assert Preference.objects.count() == len(CUSTOMERS)
    assert SpecialDate.objects.count() == len(CUSTOMERS)
    assert ContactLink.objects.count() == len(CUSTOMERS)
    assert Visit.objects.filter(voided_at__isnull=True, amount=100).count() == len(CUSTOMERS)


def names_in(text):
    return {key for key, name in NAMES.items() if name in text}


NAMES = {"c_am1": "张三", "c_am2": "单田芳", "c_am3": "曾国藩", "c_pool": "李四", "c_h2": "张珊"}
# A lead per file, owned like it: seen by exactly the roles that see the file (EXPECTED).
LEAD_NAMES = {"c_am1": "欧阳修", "c_am2": "司马光", "c_am3": "苏东坡", "c_pool": "王安石", "c_h2": "范仲淹"}


def leads_in(text):
    return {key for key, name in LEAD_NAMES.items() if name in text}


def list_text(client, headers, route, query=None):
    response = client.get("/" + route, query or {}, **headers)
    if response.status_code in (302, 403):
        return None
    assert response.status_code == 200, (route, response.status_code)
    if route.endswith(".xlsx"):
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        return " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    if route.endswith(".csv"):
        return " ".join(" ".join(r) for r in csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    return response.content.decode()


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_lists_search_and_exports_show_exactly_the_visible_files(filled, role):
    user = getattr(filled, role)
    client, headers = client_for(user), token_headers(user)
    routes = [r.replace("<str:fmt>", fmt) for r in routes_of("list") for fmt in (("csv", "xlsx") if "<str:fmt>" in r else ("",))]
    for route in routes:
        if "search" in route or "suggest" in route:
            # one query per customer, by mobile: found only when visible
            for key in CUSTOMERS:
                text = list_text(client, headers, route, {"q": getattr(filled, key).mobile})
                if text is not None:
                    assert names_in(text) == ({key} & EXPECTED[role]), (role, route, key)
            continue
        text = list_text(client, headers, route, {"limit": 100} if route.startswith("api/") else None)
        if text is None:  # refused: only roles that may not export
            # the administrator's home is the settings, an account manager's their control table
            assert ("export" in route and not user.can_export) or (route == "" and role in (
                "admin", "am1", "am2", "am3", "am_h2")), (role, route)
            continue
        assert names_in(text) == EXPECTED[role], (role, route)


def response_text(response):
    if response.status_code in (302, 403, 404):
        return None
    assert response.status_code == 200, response.status_code
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in response.get("Content-Type", ""):
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(body)).active
        return " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    return body.decode()


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_grading_runs_show_only_the_visible_files(filled, role):
    """A run of either property, through every run route: the customers named are exactly the
    role's files of that property, or the request is refused (403/404)."""
    user = getattr(filled, role)
    client, headers = client_for(user), token_headers(user)
    runs = {prop: run_grading(SYSTEM, prop) for prop in (filled.h1, filled.h2)}
    shown = 0
    for prop, run in runs.items():
        of_property = {k for k in CUSTOMERS if getattr(filled, k).property_id == prop.pk}
        for route in routes_of("run"):
            path = "/" + re.sub(r"<int:\w+>", str(run.pk), route).replace("<str:fmt>", "csv")
            for query in ({"format": "csv"}, {"format": "xlsx"}) if route.endswith("/export") else ({"limit": 100},):
                text = response_text(client.get(path, query, **headers))
                if text is None:
                    continue
                shown += 1
                assert names_in(text) == EXPECTED[role] & of_property, (role, route, prop.code)
    if role in ("gm", "sm", "gm2"):
        assert shown, role  # these roles read runs of their property: the check above ran


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_subset_pages_never_show_a_file_outside_the_rule(filled, role):
    """The pool, the queue, control tables and claims: whatever a role asks (another member's
    table, another property), the files named are among the role's own; or it is refused."""
    user = getattr(filled, role)
    client, headers = client_for(user), token_headers(user)
    others = [getattr(filled, r) for r in ("am1", "am2", "am3", "sm", "am_h2")]
    queries = [{}, {"property": "H1"}, {"property": "H2"}, {"limit": 100}]
    queries += [{"member": str(m.pk)} for m in others]
    queries += [{"member": str(m.pk), "property": "H2" if m.username == "am_h2" else "H1"} for m in others]
    seen = 0
    for route in routes_of("subset"):
        path = "/" + route.replace("<str:fmt>", "csv").replace("<slug:fmt>", "csv")
        for query in queries:
            response = client.get(path, query, **headers)
            if response.status_code in (302, 400, 403, 404, 422):
                continue
            text = response_text(response)
            seen += 1
            assert names_in(text) <= EXPECTED[role], (role, route, query)
            assert leads_in(text) <= EXPECTED[role], (role, route, query)
    if role in ("am1", "sm", "gm"):
        assert seen, role


TRACKED = {"leads": Lead, "tasks": Task, "commitments": Commitment, "plans": VisitPlan, "visit-plans": VisitPlan,
           "visit-reports": VisitReport, "pipeline": Opportunity, "opportunities": Opportunity,
           "follow-ups": FollowUp}


def tracked_model(route):
    parts = route.split("/")
    return TRACKED[parts[parts.index("tracking") + 1]]


def tracked_visible(model, user):
    if model is VisitPlan:
        return plans_visible_to(user)
    return model.objects.visible_to(user)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_tracking_row_routes_give_404_for_rows_outside_the_rule(filled, role):
    """Every route taking a lead, task, commitment, visit plan or report, or opportunity id, every
    method, UI and API: a row the role may not see answers like an id that does not exist and
    names neither its file nor its lead."""
    user = getattr(filled, role)
    client, headers = client_for(user), token_headers(user)
    checked = 0
    for route in routes_of("tracked"):
        model = tracked_model(route)
        visible = set(tracked_visible(model, user).values_list("pk", flat=True))
        for row in model.objects.all():
            if row.pk in visible:
                continue
            path = "/" + re.sub(r"<(?:\w+:)?\w+>", str(row.pk), route, count=1)
            path = re.sub(r"<(?:\w+:)?\w+>", "1", path)
            for method in METHODS:
                response = send(client, method, path, headers)
                if response.status_code == 405:
                    continue
                missing = send(client, method, path.replace(f"/{row.pk}/", f"/{10**9}/", 1) if f"/{row.pk}/" in path
                               else path[: -len(str(row.pk))] + str(10**9), headers)
                assert response.status_code == missing.status_code, (role, row.pk, method, route)
                assert response.status_code in (403, 404, 422), (role, row.pk, method, route, response.status_code)
                body = response.content.decode(errors="ignore")
                assert not names_in(body) and not leads_in(body), (role, method, route)
                checked += 1
    assert checked or role == "gm", role


def test_front_desk_may_not_export(filled):
    client = client_for(filled.desk)
    assert client.get("/customers/export.csv").status_code == 403
    assert client.get("/customers/export.xlsx").status_code == 403


@pytest.mark.parametrize("route", ["customers/", "customers/1/", "search/", "api/customers", "api/me"])
def test_anonymous_gets_nothing(filled, route):
    response = Client().get("/" + route)
    assert response.status_code in (302, 401)
    assert names_in(response.content.decode()) == set()


def test_home_lists_special_dates_within_the_rule(filled):
    # Every customer has a date today; am1 sees only their own and the pool's on the home page.
    text = client_for(filled.am1).get("/?page=1").content.decode()
    assert names_in(text) == EXPECTED["am1"]
