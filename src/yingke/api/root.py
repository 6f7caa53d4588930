"""The REST API (django-ninja), mounted at /api/; OpenAPI at /api/openapi.json, docs at /api/docs.

Every endpoint except /health needs a bearer token or a session (see auth.py) and reads
through the row-level permission rule (customers/queries.py).
"""

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from yingke.api import (
    complaint_reports,
    complaints,
    config,
    control_assign,
    control_claims,
    control_handover,
    control_table,
    control_targets,
    customers,
    duplicates,
    file_parts,
    grading,
    imports,
    notifications,
    reports,
    segments,
    staff,
    tracking,
    tracking_plans,
    tracking_reports,
    visits,
)
from yingke.api.auth import API_AUTH
from yingke.api.errors import JsonParser, document_errors, install

DESCRIPTION = """
REST API of Yingke (迎客).

* **Auth**: `Authorization: Bearer <key>` (create keys with `yingke token add` or `POST /api/tokens`),
  or the browser session (unsafe methods then need the `X-CSRFToken` header).
* **Permissions**: every list, search and detail shows only the guest files your role may see;
  a file you may not see is `404`.
* **Lists**: `{"count", "count_capped", "next", "items"}`; follow `next` to page.
* **Errors**: `{"detail": "…", "errors": {"field": ["message"]}}` for 400 (not JSON), 401, 403, 404,
  409 (the current state forbids it, e.g. a duplicate code), 413 and 422 (bad input, each field named);
  bad input changes nothing. Limits (lengths, patterns, ranges) are in the schemas.
* **Language**: messages in Chinese; send `Accept-Language: en` for English.
"""


class Utf8Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # Chinese as UTF-8, not \uXXXX escapes


class YingkeAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        """Every operation lists its JSON error answers (errors.document_errors), whichever
        router it comes from."""
        return document_errors(super().get_openapi_schema(**kwargs))


api = YingkeAPI(title="Yingke API", version="1", description=DESCRIPTION, urls_namespace="api", auth=API_AUTH,
                renderer=Utf8Renderer(), parser=JsonParser())
install(api)


@api.get("/health", auth=None, tags=["system"])
def health(request):
    return {"status": "ok"}


api.add_router("", staff.router)
api.add_router("", customers.router)
api.add_router("", file_parts.router)
api.add_router("", config.router)
api.add_router("", visits.router)
api.add_router("", imports.router)
api.add_router("", duplicates.router)
api.add_router("", grading.router)
api.add_router("", segments.router)
api.add_router("", reports.router)
api.add_router("", control_targets.router)
api.add_router("", control_assign.router)
api.add_router("", control_claims.router)
api.add_router("", control_handover.router)
api.add_router("", control_table.router)
api.add_router("", complaints.router)
api.add_router("", complaint_reports.router)
api.add_router("", notifications.router)
api.add_router("", tracking.router)
api.add_router("", tracking_plans.router)
api.add_router("", tracking_reports.router)
