"""Small middlewares of our own: security headers and the field-key guard."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _


class ContentSecurityPolicyMiddleware:
    """Send settings.CONTENT_SECURITY_POLICY on every response that has none (R-12.1).

    Everything the pages use is vendored and served by us, with no inline script or style,
    so the policy is `default-src 'self'` without 'unsafe-inline' or 'unsafe-eval'.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class FieldKeyMiddleware:
    """Answer 503 while the field-encryption key is missing or not the database's (R-12.1):
    a web process started with the wrong key must not write ID numbers nobody can read.

    Costs one stat() per request; the database is asked again only when the key file changes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from yingke.core.fieldkey import web_problem

        problem = web_problem()
        if problem is None:
            return self.get_response(request)
        # Shown before the language is known: both languages, for the person who runs the server.
        texts = []
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                texts.append(_("Yingke cannot serve: %(problem)s") % {"problem": problem})
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": "\n".join(texts)}, status=503, json_dumps_params={"ensure_ascii": False})
        else:
            response = HttpResponse("\n\n".join(texts) + "\n", status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "60"
        return response
