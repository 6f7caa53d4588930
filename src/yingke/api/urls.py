"""/api/ URLs: the NinjaAPI routes, with JSON answers for unknown paths and wrong methods."""

import functools

from django.http import JsonResponse
from django.urls import URLPattern, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from yingke.api.root import api


@csrf_exempt  # an unknown path is 404 whatever the method; it changes nothing
def not_found(request, rest=""):
    return JsonResponse({"detail": _("Not found.")}, status=404, json_dumps_params={"ensure_ascii": False})


def _json_405(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = ", ".join(sorted(m.strip() for m in response.get("Allow", "").split(",") if m.strip()))
            response = JsonResponse({"detail": _("Method %(method)s is not allowed here; use %(allowed)s.") % {
                "method": request.method, "allowed": allowed}}, status=405, json_dumps_params={"ensure_ascii": False})
            response["Allow"] = allowed
        return response

    return wrapped


def _patterns():
    for p in api.urls[0]:
        if isinstance(p, URLPattern):
            yield URLPattern(p.pattern, _json_405(p.callback), p.default_args, p.name)
        else:
            yield p


app_name = "api"
urlpatterns = [*_patterns(), re_path(r"^(?P<rest>[\s\S]*)$", not_found)]
