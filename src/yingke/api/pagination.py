"""One page envelope for every list: {"count", "count_capped", "next", "items"}; list filters.

`count` is exact up to COUNT_CAP; beyond it the count stops at the cap and
`count_capped` is true, so that a list over a million rows never runs a full COUNT.
`next` is the URL of the following page or null. Large lists page by keyset cursor
(`cursor=`, core.pagination: the same paginator as the UI), which stays fast at any
depth; `offset=` is accepted for random access.

A list's filters are its django-filter FilterSet, shared with the UI: `filter_parameters`
documents them in the OpenAPI schema, `filtered` answers invalid values with a 422.
"""

from typing import Generic, TypeVar

from django import forms
from django.core.validators import RegexValidator
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Schema

from yingke.api.errors import ApiError, field_error, invalid_input
from yingke.core import pagination as keyset

T = TypeVar("T")
COUNT_CAP = 1_000
DEFAULT_LIMIT = 25
MAX_LIMIT = 200
MAX_OFFSET = 1_000_000  # beyond it use the cursor; a larger OFFSET overflows the database


class Page(Schema, Generic[T]):
    count: int
    count_capped: bool = False
    next: str | None = None
    items: list[T]


def capped_count(qs) -> tuple[int, bool]:
    return keyset.capped_count(qs, COUNT_CAP)


def page_url(request, **params) -> str:
    query = request.GET.copy()
    for key, value in params.items():
        query.pop(key, None)
        if value is not None:
            query[key] = str(value)
    return request.build_absolute_uri(request.path + ("?" + query.urlencode() if query else ""))


def envelope(items, count, capped=False, next_url=None) -> dict:
    return {"count": count, "count_capped": capped, "next": next_url, "items": items}


def offset_page(request, qs, limit: int, offset: int, serialize, prepare=None) -> dict:
    """Page a queryset (counted, capped) or a list by limit/offset; `prepare(rows)` is called with the
    page's rows before they are serialized (to read what they need in a few queries, not per row)."""
    if isinstance(qs, list):
        count, capped = len(qs), False
    else:
        count, capped = capped_count(qs)
    rows = list(qs[offset : offset + limit + 1])
    next_url = page_url(request, offset=offset + limit, cursor=None) if len(rows) > limit else None
    if prepare is not None:
        prepare(rows[:limit])
    return envelope([serialize(r) for r in rows[:limit]], count, capped, next_url)


def keyset_page(request, qs, ordering: keyset.Ordering, limit: int, cursor: str | None, serialize) -> dict:
    """Page by a keyset cursor in `ordering`; the count is capped. A bad cursor is a 422."""
    count, capped = capped_count(qs)
    try:
        page = keyset.keyset_page(qs, ordering, limit, after=cursor or "")
    except keyset.InvalidCursor:
        raise field_error("cursor", _("This cursor is not valid; start again from the first page.")) from None
    next_url = page_url(request, cursor=page.next_cursor, offset=None) if page.has_next else None
    return envelope([serialize(r) for r in page.rows], count, capped, next_url)


# ---- filters ---------------------------------------------------------------------------

def filtered(filterset):
    """The filtered queryset, or a 422 naming each invalid filter."""
    if filterset.is_bound and not filterset.is_valid():
        errors = {name: [str(m) for m in messages] for name, messages in filterset.errors.items()}
        raise ApiError(422, invalid_input(), errors)
    return filterset.qs


def filter_parameters(filterset_class) -> list[dict]:
    """OpenAPI query parameters of a FilterSet's filters (for a route's `openapi_extra`)."""
    params = []
    for name, flt in filterset_class.base_filters.items():
        field = flt.field_class(label=flt.label, **flt.extra)  # not flt.field: it would be cached
        schema: dict = {"type": "string"}
        values = getattr(field, "values", None)
        if values is not None:
            schema["enum"] = [*values, ""]  # empty: no filter (as a form sends it)
        elif isinstance(field, forms.CharField):
            if field.max_length:
                schema["maxLength"] = field.max_length
            schema["pattern"] = "^[^\\u0000]*$"  # Django refuses NUL (PostgreSQL cannot store it)
            for validator in field.validators:
                if isinstance(validator, RegexValidator) and not validator.inverse_match:
                    inner = validator.regex.pattern.removeprefix("\\A").removesuffix("\\Z")
                    schema["pattern"] = f"^(?:{inner})?$"  # empty: no filter
        with translation.override("en"):
            description = str(field.help_text or field.label or "")
        params.append({"name": name, "in": "query", "required": False, "schema": schema,
                       "description": description})
    return params
