"""Every API error is JSON: {"detail": "…"} plus {"errors": {field: [messages]}} for bad input.

Messages are translated (zh-Hans by default, English with Accept-Language: en). The
OpenAPI document lists these answers on every operation (document_errors), so that a new
endpoint cannot leave them out.
"""

import json

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser


class ErrorOut(Schema):
    """The body of every error answer."""

    detail: str = Field(description="What went wrong, in the request's language.")
    errors: dict[str, list[str]] | None = Field(
        None, description="Messages per field of bad input ('person.name'; '__all__' for the whole request).")


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


def unstorable(text: str) -> str | None:
    """Why `text` cannot be stored in a text column, or None.

    PostgreSQL refuses NUL; a lone UTF-16 surrogate (JSON "\\ud800") is not Unicode text
    and cannot be encoded at all.
    """
    if "\x00" in text:
        return _("Text may not contain null characters.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _("Text contains an invalid character (a lone surrogate).")
    return None


def unstorable_fields(value, path: str = "") -> dict[str, list[str]]:
    """{field path: [message]} for every string (or object key) in parsed JSON that cannot be stored."""
    out: dict[str, list[str]] = {}
    if isinstance(value, str):
        message = unstorable(value)
        if message:
            out[path or "__all__"] = [message]
    elif isinstance(value, dict):
        for key, item in value.items():
            if unstorable(str(key)):
                out.setdefault(path or "__all__", []).append(_("Unknown field."))
                continue
            out.update(unstorable_fields(item, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list):  # a list of text is one field ("tags"); of objects, one per item
        for i, item in enumerate(value):
            for field, messages in unstorable_fields(item, f"{path}.{i}" if isinstance(item, dict) else path).items():
                out.setdefault(field, []).extend(m for m in messages if m not in out.get(field, []))
    return out


class JsonParser(Parser):
    """Parse request bodies; text that cannot be stored is a 422 naming its field.

    ninja turns any parser exception into a 400 whose cause is the exception raised here;
    the HttpError handler below answers with that ApiError instead.
    """

    def parse_body(self, request):
        data = json.loads(request.body)
        bad = unstorable_fields(data)
        if bad:
            raise ApiError(422, invalid_input(), bad)
        return data


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

    from yingke.core.services import Conflict  # the services' "valid, but the current state forbids it"

    @api.exception_handler(Conflict)
    def on_conflict(request, exc):
        return respond(request, 409, " ".join(exc.messages), django_errors(exc))

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

    @api.exception_handler(RequestDataTooBig)
    def on_too_big(request, exc):
        return respond(request, 413, _("The request is too large."))

    @api.exception_handler(HttpError)
    def on_http_error(request, exc: HttpError):
        if isinstance(exc.__cause__, ApiError):  # raised by JsonParser
            return on_api_error(request, exc.__cause__)
        known = {
            400: _("The request body is not valid JSON."),
            429: _("Too many requests; try again later."),
        }
        detail = known.get(exc.status_code) or str(exc)
        return respond(request, exc.status_code, detail)


# ---- the error answers in the OpenAPI document ------------------------------------------

UNSAFE_METHODS = {"post", "put", "patch", "delete"}
ERROR_DESCRIPTIONS = {
    400: "The request body is not valid JSON.",
    401: "No valid API token or session (`WWW-Authenticate: Bearer`).",
    403: "Your role may not do this here, or a session request without a valid CSRF token.",
    404: "No such object, or one that your role may not see.",
    409: "The current state forbids the change (e.g. a duplicate or an object still in use).",
    413: "The request is too large.",
    422: "Bad input: `errors` names each field with its messages; nothing was changed.",
}


def document_errors(schema: dict) -> dict:
    """Add the JSON error answers to every operation of an OpenAPI document (R-12.4).

    401 and 403 wherever authentication applies; 404 where the path names an object; 422
    wherever there is input; 400 and 409 for requests that change something. An answer an
    operation already documents keeps its own description.
    """
    schema.setdefault("components", {}).setdefault("schemas", {})["ErrorOut"] = ErrorOut.model_json_schema(
        ref_template="#/components/schemas/{model}")
    ref = {"$ref": "#/components/schemas/ErrorOut"}
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            codes = []
            if op.get("security"):
                codes += [401, 403]
            if "{" in path:
                codes.append(404)
            if op.get("parameters") or op.get("requestBody"):
                codes.append(422)
            if method in UNSAFE_METHODS:
                codes += [409, 422]
            if op.get("requestBody"):
                codes += [400, 413]
            # ninja keys responses by int; JSON keys are text: one key per status, or the
            # document has "403" twice and Swagger UI refuses it.
            responses = op["responses"] = {str(k): v for k, v in op["responses"].items()}
            for code in sorted(set(codes)):
                entry = responses.setdefault(str(code), {"description": ERROR_DESCRIPTIONS[code]})
                entry["content"] = {"application/json": {"schema": ref}}
                if entry.get("description") in ("", "Bad Request", "Unauthorized", "Forbidden", "Not Found",
                                                "Conflict", "Unprocessable Content", "Unprocessable Entity"):
                    entry["description"] = ERROR_DESCRIPTIONS[code]
    return schema
