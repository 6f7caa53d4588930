"""Every API error is JSON: {"detail": "…"} plus {"errors": {field: [messages]}} for bad input.

Messages are translated (zh-Hans by default, English with Accept-Language: en).
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError


class ApiError(Exception):
    """Raised by endpoints for a JSON error with an optional field map."""

    def __init__(self, status: int, detail: str, errors: dict[str, list[str]] | None = None):
        super().__init__(detail)
        self.status, self.detail, self.errors = status, detail, errors


def field_error(field: str, message: str) -> ApiError:
    return ApiError(422, invalid_input(), {field: [message]})


def not_found() -> ApiError:
    return ApiError(404, _("Not found."))


def invalid_input() -> str:
    return _("The input is not valid; nothing was changed.")


def _pydantic_message(err: dict) -> str:
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    simple = {
        "missing": _("This field is required."),
        "extra_forbidden": _("Unknown field."),
        "string_type": _("Enter a text value."),
        "int_parsing": _("Enter a whole number."),
        "int_type": _("Enter a whole number."),
        "int_from_float": _("Enter a whole number."),
        "float_parsing": _("Enter a number."),
        "float_type": _("Enter a number."),
        "decimal_parsing": _("Enter a number."),
        "decimal_type": _("Enter a number."),
        "finite_number": _("Enter a number."),
        "bool_parsing": _("Enter true or false."),
        "bool_type": _("Enter true or false."),
        "date_parsing": _("Enter a valid date (YYYY-MM-DD)."),
        "date_type": _("Enter a valid date (YYYY-MM-DD)."),
        "date_from_datetime_parsing": _("Enter a valid date (YYYY-MM-DD)."),
        "date_from_datetime_inexact": _("Enter a valid date (YYYY-MM-DD)."),
        "list_type": _("Enter a list."),
        "dict_type": _("Expected a JSON object."),
        "model_type": _("Expected a JSON object."),
        "model_attributes_type": _("Expected a JSON object."),
        "decimal_max_digits": _("Enter a number with fewer digits."),
        "decimal_max_places": _("Enter a number with fewer decimal places."),
        "decimal_whole_digits": _("Enter a number with fewer digits."),
    }
    if kind in simple:
        return simple[kind]
    if kind in ("enum", "literal_error"):
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind == "greater_than_equal":
        return _("Enter a value of at least %(limit)s.") % {"limit": ctx.get("ge")}
    if kind == "greater_than":
        return _("Enter a value greater than %(limit)s.") % {"limit": ctx.get("gt")}
    if kind == "less_than_equal":
        return _("Enter a value of at most %(limit)s.") % {"limit": ctx.get("le")}
    if kind == "less_than":
        return _("Enter a value less than %(limit)s.") % {"limit": ctx.get("lt")}
    if kind == "string_too_long":
        return _("Enter at most %(max)s characters.") % {"max": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("This field may not be blank.")
    if kind == "value_error" and ctx.get("error"):
        return str(ctx["error"])
    return _("Invalid value: %(message)s") % {"message": err.get("msg", "")}


def _field_name(loc) -> str:
    """('body', 'payload', 'mobile') -> 'mobile'; ('query', 'limit') -> 'limit'."""
    parts = [str(p) for p in loc[1:]]
    if loc and loc[0] == "body" and len(parts) > 1:
        parts = parts[1:]  # the name of the body parameter
    return ".".join(parts) or "__all__"


def pydantic_errors(errors: list[dict]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for err in errors:
        out.setdefault(_field_name(err.get("loc", ())), []).append(_pydantic_message(err))
    return out


def django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {("__all__" if k == "__all__" else k): [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def install(api) -> None:
    """Register the JSON error handlers on a NinjaAPI."""

    def respond(request, status, detail, errors=None, headers=None):
        body = {"detail": detail}
        if errors is not None:
            body["errors"] = errors
        response = api.create_response(request, body, status=status)
        for key, value in (headers or {}).items():
            response[key] = value
        return response

    @api.exception_handler(ApiError)
    def on_api_error(request, exc: ApiError):
        return respond(request, exc.status, exc.detail, exc.errors)

    @api.exception_handler(DjangoValidationError)
    def on_django_validation(request, exc):
        return respond(request, 422, invalid_input(), django_errors(exc))

    @api.exception_handler(NinjaValidationError)
    def on_ninja_validation(request, exc):
        return respond(request, 422, invalid_input(), pydantic_errors(exc.errors))

    @api.exception_handler(Http404)
    def on_404(request, exc):
        return respond(request, 404, _("Not found."))

    @api.exception_handler(PermissionDenied)
    def on_denied(request, exc):
        return respond(request, 403, str(exc) or _("You do not have permission to do this."))

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request, exc):
        return respond(request, 401, _("Log in or send a valid API token (Authorization: Bearer <key>)."),
                       headers={"WWW-Authenticate": 'Bearer realm="api"'})

    @api.exception_handler(HttpError)
    def on_http_error(request, exc: HttpError):
        known = {
            400: _("The request body is not valid JSON."),
            429: _("Too many requests; try again later."),
        }
        detail = known.get(exc.status_code) or str(exc)
        return respond(request, exc.status_code, detail)
