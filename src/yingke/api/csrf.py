"""CSRF failures on /api/ answer JSON (403, errors.ErrorOut), not Django's HTML page.

Session-authenticated API requests are checked by auth.SessionAuth; this view is
settings.CSRF_FAILURE_VIEW, so that a rejection by Django's CsrfViewMiddleware itself
also answers JSON on /api/ paths. Elsewhere it is Django's own page.
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import csrf

API_PREFIX = "/api/"


def csrf_message() -> str:
    return _("CSRF check failed: send the X-CSRFToken header with the value of the csrftoken cookie, "
             "or use an API token.")


def csrf_failure(request, reason=""):
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": csrf_message()}, status=403, json_dumps_params={"ensure_ascii": False})
    return csrf.csrf_failure(request, reason)
