"""Schemathesis hooks for test_schema_fuzzing (loaded through SCHEMATHESIS_HOOKS).

A schema-valid request may still break a business rule that JSON Schema cannot state: a
mobile number that no operator issued, an ID card number whose check digit is wrong, an
account manager the user may not assign, an outlet code that does not exist. The OpenAPI
document names these rules in the field descriptions; the built-in check
`positive_data_acceptance` is replaced by one that accepts a 422 only when every field it
names is such a rule of that operation. Any other 422 for schema-valid input still fails.
"""

import schemathesis
from schemathesis.specs.openapi.checks import RejectedPositiveData, positive_data_acceptance

# (method, path) -> the fields whose 422 is a documented business rule, with the reason.
CUSTOMER_RULES = {
    "mobile": "a real mobile number (phonenumbers.is_valid_number)",
    "id_number": "a resident ID card number's check digit and birth date",
    "owner": "only a member of staff the user may assign",
    "property": "one of the user's properties",
    "birth_date": "must match the ID card number on file",
    "gender": "must match the ID card number on file",
    "email": "Django's EmailValidator is stricter than 'format: email'",
    "module": "a module in use of the file's property",
}
VISIT_RULES = {"occurred_at", "arrival", "departure", "outlet", "served_by", "amount", "rate", "covers"}
BUSINESS_RULES: dict[tuple[str, str], set[str]] = {
    # Only a value taken from `next`; a date of the calendar (2026-02-30 matches the pattern).
    ("GET", "/api/customers"): {"cursor", "last_visit_after", "last_visit_before"},
    ("POST", "/api/customers"): set(CUSTOMER_RULES),
    ("PATCH", "/api/customers/{customer_id}"): set(CUSTOMER_RULES),
    ("POST", "/api/customers/{customer_id}/contacts"): {
        "person_id",  # a person file of the organisation's property
        "organisation",  # contact people belong to an organisation's file
        *(f"person.{field}" for field in CUSTOMER_RULES),
    },
    ("POST", "/api/customers/{customer_id}/notes"): {"outlet"},  # an outlet of the guest's property
    # A change is checked together with the stored fields (day 31 on a February date).
    ("PATCH", "/api/customers/{customer_id}/special-dates/{date_id}"): {"month", "day", "leap_month"},
    # Password rules (common, like the username), a user name nobody has yet, and which properties and
    # managers the user may give.
    ("POST", "/api/staff"): {"password", "properties", "manager", "username"},
    ("PATCH", "/api/staff/{user_id}"): {"properties", "manager"},
    ("POST", "/api/staff/{user_id}/password"): {"password"},
    ("POST", "/api/tags/{tag_id}/merge"): {"into"},  # a tag of the same property
    # Duplicates (R-2.8): one of the user's properties; two different files of one property (and
    # kind); the chosen values are checked like any change of the file.
    ("GET", "/api/duplicates"): {"property"},
    ("POST", "/api/duplicates/dismiss"): {"b"},
    ("POST", "/api/customers/{customer_id}/merge"): {"other", "group_account", *CUSTOMER_RULES},
    # One of the user's properties; a file that reads, with a header naming the required columns; a mapping
    # naming fields and columns of that file.
    ("POST", "/api/imports"): {"property", "file", "mapping"},
    # Visits and stays (R-3.1): a date between 2000 and today; a stay's arrival and departure together
    # and in order; an outlet code and a member of staff of the guest's property; the amount of a new
    # visit (checked after the file is found); a reason to void.
    ("POST", "/api/customers/{customer_id}/visits"): set(VISIT_RULES),
    ("PATCH", "/api/visits/{visit_id}"): set(VISIT_RULES),
    ("POST", "/api/visits/{visit_id}/void"): {"reason"},
    # Grading (R-4): one of the user's properties and an as-of date of the calendar, not in the future;
    # a cursor taken from `next`; an override needs a reason (checked after the file is found).
    ("POST", "/api/grading/runs"): {"property", "as_of"},
    ("GET", "/api/grading/runs/{run_id}/entries"): {"cursor"},
    ("PUT", "/api/customers/{customer_id}/grade-override"): {"grade", "reason"},
    ("DELETE", "/api/customers/{customer_id}/grade-override"): {"reason"},
    # Modules and churn (R-5, R-9.1): a date of the calendar (2026-02-30 matches the pattern); the end not
    # before the start; a period that has started; a reason in use of the loss's property, details
    # required when the reason is "other".
    ("GET", "/api/losses"): {"lost_from", "lost_to"},
    ("GET", "/api/reports/modules"): {"start"},
    ("GET", "/api/reports/churn"): {"from", "to"},
    ("POST", "/api/modules/{module_id}/targets"): {"start", "end"},
    ("PATCH", "/api/module-targets/{target_id}"): {"start", "end"},
    ("POST", "/api/losses/{loss_id}/explain"): {"reason", "note"},
    # Control (R-6, R-1.3): a reason in words; a period start of its kind (the first of a month, a Monday)
    # between 2000 and two years ahead; a day of the calendar; files the actor may assign to a member they
    # may choose; a member of the same property who may own files; a claim of a code of the property.
    ("POST", "/api/customers/{customer_id}/claim"): {"reason", "customer"},
    ("POST", "/api/customers/{customer_id}/release"): {"reason", "customer"},
    ("POST", "/api/claims"): {"code", "customer_code", "reason", "customer"},
    ("POST", "/api/claims/{claim_id}/approve"): {"reason", "claim"},
    ("POST", "/api/claims/{claim_id}/refuse"): {"reason", "claim"},
    ("POST", "/api/claims/{claim_id}/withdraw"): {"reason", "claim"},
    ("POST", "/api/customers/assign"): {"ids", "owner", "reason"},
    ("PATCH", "/api/assignment-policies/{property_code}"): {"order", "new_staff_months", "new_staff_share"},
    ("PATCH", "/api/staff-settings/{setting_id}"): {"areas", "capacity", "weight", "started_on", "daily_target"},
    ("GET", "/api/targets"): {"kind", "start", "property"},
    ("GET", "/api/target-nodes"): {"kind", "start", "property"},
    ("PUT", "/api/targets/{user_id}/{kind}/{start}"): {"kind", "start", "effective", "a_customers", "visits",
                                                        "revenue", "new_customers", "follow_ups"},
    ("GET", "/api/control-table"): {"day", "member", "property"},
    ("GET", "/api/control-table/team"): {"day", "property"},
    ("POST", "/api/staff/{user_id}/handover"): {"to", "by_rules", "reason", "properties", "mode"},
    # Complaints (R-8.1–R-8.3): a cursor taken from `next`; one of the user's properties (several: name it); a
    # guest file the user sees, of the property; an outlet code of the property; a time from 2000, not in the
    # future; text with something visible and no control characters; only the fields of the step asked for,
    # that step's required ones, a compensation kind with a value, the check-back to archive; a reason to
    # refuse; business hours that end after they start. Notifications: `ids` or `all`, not both / neither.
    ("GET", "/api/complaints"): {"cursor"},
    ("POST", "/api/complaints"): {"property", "customer", "outlet", "occurred_at", "words", "contact_name",
                                  "contact_phone", "location", "staff_involved"},
    ("POST", "/api/complaints/{complaint_id}/steps"): {"apology", "findings", "solution", "compensation",
                                                       "compensation_amount", "carried_out", "check_back",
                                                       "satisfaction"},
    ("POST", "/api/complaints/{complaint_id}/on-the-spot"): {"apology", "findings", "solution", "compensation",
                                                             "compensation_amount", "carried_out", "check_back",
                                                             "satisfaction"},
    ("POST", "/api/complaints/{complaint_id}/approval"): {"reason"},
    ("PUT", "/api/complaint-policy"): {"business_end"},
    ("GET", "/api/complaint-reports"): {"from", "to", "property"},
    ("GET", "/api/notifications"): {"cursor"},
    ("POST", "/api/notifications/read"): {"ids"},
    # Tracking (issue 15): a cursor taken from `next`; a date of the calendar (2026-02-30 matches the pattern);
    # one of the user's properties (several: name it); a real mobile, Django's e-mail rule; a referrer (a file the
    # user sees, of the property) for a referral, an informant for an informant's lead; an owner, assignee or keeper
    # the user may choose and who sees the file; a file or lead the user sees, exactly one of them; text with
    # something visible; a time from 2000, not in the future; a next step not in the past, with its text; a
    # period whose last day is not before its first; a visit plan's days within its month, a visit not in the
    # future; one of the seven sources.
    ("GET", "/api/tracking/leads"): {"cursor", "created_from", "created_to", "q"},
    ("POST", "/api/tracking/leads"): {"property", "name", "mobile", "email", "referrer", "informant", "owner"},
    ("PATCH", "/api/tracking/leads/{lead_id}"): {"name", "mobile", "email", "referrer", "informant", "owner"},
    ("POST", "/api/tracking/leads/{lead_id}/drop"): {"reason"},
    ("POST", "/api/tracking/leads/{lead_id}/convert"): {"customer_id"},
    ("GET", "/api/tracking/follow-ups"): {"cursor", "from", "to"},
    ("POST", "/api/tracking/follow-ups"): {"customer_id", "lead_id", "summary", "occurred_at", "next_step", "next_on"},
    ("POST", "/api/tracking/tasks"): {"customer_id", "lead_id", "title", "due_on", "assignee_id"},
    ("POST", "/api/tracking/tasks/{task_id}/done"): {"summary", "occurred_at", "next_step", "next_on"},
    ("POST", "/api/tracking/commitments"): {"customer_id", "owner_id", "promised"},
    ("POST", "/api/tracking/commitments/{commitment_id}/keep"): {"result"},
    ("GET", "/api/tracking/scheduler-runs"): {"cursor"},
    ("POST", "/api/tracking/scheduler-runs"): {"property"},
    ("POST", "/api/tracking/cadence-rules"): {"property", "name"},
    ("PATCH", "/api/tracking/cadence-rules/{rule_id}"): {"name"},
    ("GET", "/api/tracking/reports/funnel"): {"from", "to", "property"},
    ("GET", "/api/tracking/reports/ordinals"): {"from", "to", "property"},
    ("GET", "/api/tracking/reports/sources"): {"from", "to", "property"},
    ("PUT", "/api/tracking/spend/{source}/{month}"): {"source", "month", "amount", "note", "property"},
    ("POST", "/api/tracking/opportunities"): {"property", "customer", "lead", "owner", "title", "expected_on"},
    ("PATCH", "/api/tracking/opportunities/{opp_id}"): {"customer", "lead", "owner", "title", "expected_on"},
    ("POST", "/api/tracking/visit-reports"): {"property", "customer", "planned", "visited_on", "purpose", "outcome",
                                              "promises"},
    ("POST", "/api/tracking/visit-plans"): {"property", "month", "lines"},
    ("PUT", "/api/tracking/visit-plans/{plan_id}"): {"lines"},
}


def documented_rule(case, response) -> bool:
    if response.status_code != 422:
        return False
    try:
        fields = set((response.json() or {}).get("errors") or {})
    except ValueError:
        return False
    allowed = BUSINESS_RULES.get((case.method.upper(), case.operation.path), set())
    return bool(fields) and fields <= allowed


@schemathesis.check
def schema_valid_request_accepted(ctx, response, case):
    """positive_data_acceptance, except for the documented business rules above."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if documented_rule(case, response):
            return None
        raise
