"""One page envelope for every list: {"count", "count_capped", "next", "items"}.

`count` is exact up to COUNT_CAP; beyond it the count stops at the cap and
`count_capped` is true, so that a list over a million rows never runs a full COUNT.
`next` is the URL of the following page or null. Large lists page by keyset cursor
(`cursor=`), which stays fast at any depth; `offset=` is accepted for random access.
"""

import base64
import binascii
import datetime as dt
import json
from typing import Generic, TypeVar

from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Schema

from yingke.api.errors import field_error

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
    n = qs.order_by()[: COUNT_CAP + 1].count()
    return (COUNT_CAP, True) if n > COUNT_CAP else (n, False)


def page_url(request, **params) -> str:
    query = request.GET.copy()
    for key, value in params.items():
        query.pop(key, None)
        if value is not None:
            query[key] = str(value)
    return request.build_absolute_uri(request.path + ("?" + query.urlencode() if query else ""))


def envelope(items, count, capped=False, next_url=None) -> dict:
    return {"count": count, "count_capped": capped, "next": next_url, "items": items}


def offset_page(request, qs, limit: int, offset: int, serialize) -> dict:
    """Page a queryset (counted, capped) or a list by limit/offset."""
    if isinstance(qs, list):
        count, capped = len(qs), False
    else:
        count, capped = capped_count(qs)
    rows = list(qs[offset : offset + limit + 1])
    next_url = page_url(request, offset=offset + limit, cursor=None) if len(rows) > limit else None
    return envelope([serialize(r) for r in rows[:limit]], count, capped, next_url)


# Keyset orderings: (field, tie-breaker). A leading '-' sorts descending.
def _after(fields: tuple[str, str], values: list) -> Q:
    (f1, f2), (v1, v2) = fields, values
    op1 = "lt" if f1.startswith("-") else "gt"
    op2 = "lt" if f2.startswith("-") else "gt"
    n1, n2 = f1.lstrip("-"), f2.lstrip("-")
    return Q(**{f"{n1}__{op1}": v1}) | Q(**{n1: v1, f"{n2}__{op2}": v2})


def _encode(order: str, values: list) -> str:
    raw = json.dumps([order] + [v.isoformat() if isinstance(v, dt.datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, order: str, fields) -> list:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(data, list) or len(data) != 3 or data[0] != order:
            raise ValueError
        values = data[1:]
        # Sort keys are never null; NUL and lone surrogates cannot reach PostgreSQL; ids fit in 64 bits.
        if not isinstance(values[0], str) or "\x00" in values[0]:
            raise ValueError
        values[0].encode()
        if isinstance(values[1], bool) or not isinstance(values[1], int) or not 0 <= values[1] < 2**63:
            raise ValueError
        if fields[0].lstrip("-").endswith("_at"):
            values[0] = dt.datetime.fromisoformat(values[0])
        return values
    except (ValueError, TypeError, UnicodeError, binascii.Error, OverflowError):
        raise field_error("cursor", _("This cursor is not valid; start again from the first page.")) from None


def keyset_page(request, qs, order: str, fields: tuple[str, str], limit: int, cursor: str | None, serialize) -> dict:
    """Page by a keyset cursor over `fields`; the count is capped."""
    count, capped = capped_count(qs)
    qs = qs.order_by(*fields)
    if cursor:
        qs = qs.filter(_after(fields, _decode(cursor, order, fields)))
    rows = list(qs[: limit + 1])
    next_url = None
    if len(rows) > limit:
        last = rows[limit - 1]
        values = [getattr(last, f.lstrip("-")) for f in fields]
        next_url = page_url(request, cursor=_encode(order, values), offset=None)
    return envelope([serialize(r) for r in rows[:limit]], count, capped, next_url)
