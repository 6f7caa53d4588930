"""The one search box (R-2.7): live suggestions while typing and a results page."""

import re

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.customers.search import search

SUGGEST_LIMIT = 8
PAGE_LIMIT = 50
MAX_QUERY = 60
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

REASONS = {
    "mobile": gettext_lazy("mobile"),
    "mobile_last4": gettext_lazy("last 4 digits of mobile"),
    "id": gettext_lazy("ID number"),
    "card": gettext_lazy("card number or customer code"),
    "name": gettext_lazy("name"),
    "pinyin": gettext_lazy("pinyin"),
    "initials": gettext_lazy("pinyin initials"),
}


def _hits(request, limit, **options):
    # Control characters (NUL above all: PostgreSQL refuses it) are never part of a search.
    q = CONTROL.sub("", request.GET.get("q", "")).strip()[:MAX_QUERY]
    hits = search(request.user, q, limit=limit, **options) if q else []
    for hit in hits:
        hit.reason_label = REASONS.get(hit.reason, hit.reason)
    return q, hits


def _context(q, hits, **more):
    return {"q": q, "hits": hits, "notices": hits.notices() if q else [], **more}


@login_required
def search_suggest(request):
    """The dropdown under the search box (htmx). It is sent while typing, so an ID number
    is looked up (and counted, see customers.search) only once it is a complete resident ID."""
    q, hits = _hits(request, SUGGEST_LIMIT, complete_ids_only=True)
    return render(request, "customers/_search_suggest.html", _context(q, hits))


@login_required
def search_page(request):
    q, hits = _hits(request, PAGE_LIMIT)
    return render(request, "customers/search.html", _context(q, hits, limit=PAGE_LIMIT, title=_("Search")))
