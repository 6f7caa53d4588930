"""API authentication: a bearer token (core.models.ApiToken) or the browser session.

The token is tried first: a request that carries an Authorization header is judged by
it alone (a bad token is 401 even with a session cookie). Session-authenticated unsafe
requests must pass Django's CSRF check (cookie + X-CSRFToken header).
"""

from django.conf import settings
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from yingke.api.csrf import csrf_message
from yingke.api.errors import ApiError
from yingke.core.models import ApiToken

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class TokenAuth(HttpBearer):
    def __call__(self, request):
        header = request.headers.get("Authorization")
        if not header:
            return None
        scheme, _sep, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise AuthenticationError()
        return self.authenticate(request, key)

    def authenticate(self, request, token):
        user = ApiToken.authenticate(token)
        if user is None:
            raise AuthenticationError()
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """Django's session login, with CSRF enforced on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if request.method not in SAFE_METHODS and not getattr(request, "_ninja_csrf_exempt", False):
            if check_csrf(request) is not None:
                raise ApiError(403, csrf_message())
        return user

    def authenticate(self, request, key):  # pragma: no cover - __call__ does the work
        return None


API_AUTH = [TokenAuth(), SessionAuth()]
