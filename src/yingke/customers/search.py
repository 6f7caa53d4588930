"""The one search box (R-2.7): mobile (full or last 4), name, pinyin, initials, every
reading of polyphonic characters, ID number, card number; best match first.

Every lookup is an indexed equality or prefix range and is restricted by the
permission rule in the same query.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

from yingke.customers import crypto
from yingke.customers.identity import clean_text, normalize_mobile
from yingke.customers.models import Customer, SearchKey
from yingke.customers.pinyin import clean_name, has_han, latin_key
from yingke.visits.models import Visit

# Score of a match by kind of key; exact matches of a key score `exact`, prefixes `prefix`.
KEY_SCORES = {  # kind: (exact, prefix)
    SearchKey.Kind.NAME: (100, 80),
    SearchKey.Kind.PINYIN: (95, 75),
    SearchKey.Kind.INITIALS: (92, 72),
    SearchKey.Kind.PINYIN_OTHER: (88, 68),
    SearchKey.Kind.INITIALS_OTHER: (85, 65),
    SearchKey.Kind.NAME_PART: (60, 50),  # the given name, or any later part of the name
}
KEY_CHUNK, MAX_CHUNKS = 400, 25  # at most 10,000 keys read for one query
EXACT_KEYS = 2000  # exact matches considered for ranking
RANK_POOL = 1000
KIND_REASON = {1: "name", 2: "pinyin", 3: "initials", 4: "pinyin", 5: "initials", 6: "name"}


@dataclass
class Hit:
    customer: Customer
    score: int
    reason: str


def _upper_bound(q: str) -> str:
    """The smallest string above every string that starts with `q`."""
    q = q.rstrip("\U0010ffff")
    return q[:-1] + chr(ord(q[-1]) + 1) if q else "\U0010ffff"


def _key_matches(user, q: str, kinds, limit: int) -> dict[int, tuple[int, str]]:
    """Customers with a key equal to `q` (exact tier), then keys starting with `q`.

    Keys are read in index order, a chunk at a time, and kept when the permission rule
    lets the user see their customer; reading stops once `limit` customers are found.
    Reading keys first and checking the rule per chunk keeps both databases on the
    (key, kind, property, customer) index even for one-letter queries at a million
    customers, whatever their planners think of the join.
    """
    visible = Customer.objects.visible_to(user)
    out: dict[int, tuple[int, str]] = {}
    tiers = [(SearchKey.objects.filter(key=q), 0)]
    if len(q) < 100:
        tiers.append((SearchKey.objects.filter(key__gt=q, key__lt=_upper_bound(q)), 1))
    for keys, tier in tiers:
        keys = keys.filter(kind__in=kinds).order_by("key", "kind", "property_id", "customer_id")
        # The exact tier is read whole (up to EXACT_KEYS) in one go, so that ranking sees every
        # exact match; the prefix tier is read a chunk at a time until `limit` are found.
        chunk = EXACT_KEYS if tier == 0 else KEY_CHUNK
        for start in range(0, chunk if tier == 0 else KEY_CHUNK * MAX_CHUNKS, chunk):
            rows = list(keys.values_list("customer_id", "kind")[start:start + chunk])
            seen = set(visible.filter(id__in={cid for cid, _kind in rows}).values_list("id", flat=True))
            for cid, kind in rows:
                score = KEY_SCORES[kind][tier]
                if cid in seen and (cid not in out or out[cid][0] < score):
                    out[cid] = (score, KIND_REASON[kind])
            if len(out) >= limit or len(rows) < chunk:
                break
        if len(out) >= limit:
            break
    return out


def search(user, query: str, limit: int = 20) -> list[Hit]:
    query = "".join(ch for ch in (query or "")[:200] if ch.isprintable())  # no NUL or control characters
    q = clean_text(query)
    if not q:
        return []
    visible = Customer.objects.visible_to(user)
    found: dict[int, tuple[int, str]] = {}

    def add(ids, score, reason):
        for cid in ids:
            if cid not in found or found[cid][0] < score:
                found[cid] = (score, reason)

    upper = q.upper()
    if re.fullmatch(r"\+?\d{3,20}", q):
        digits = q.lstrip("+")
        if len(digits) == 4:
            add(visible.filter(mobile_last4=digits).values_list("id", flat=True)[:limit * 2], 90, "mobile_last4")
        elif len(digits) >= 5:
            mobile = digits[2:] if len(digits) == 13 and digits.startswith("86") else digits
            try:  # stored form: 11 digits for the mainland, E.164 for other countries
                candidates = {mobile, normalize_mobile(q if q.startswith(("+", "00")) else "+" + digits)}
            except ValidationError:
                candidates = {mobile}
            add(visible.filter(mobile__in=candidates).values_list("id", flat=True)[:limit], 100, "mobile")
            if len(mobile) < 11:
                add(visible.filter(mobile__gte=mobile, mobile__lt=_upper_bound(mobile))
                    .values_list("id", flat=True)[:limit], 70, "mobile")
    if re.fullmatch(r"[0-9A-Z]{5,20}", upper):
        add(visible.filter(id_number_hash=crypto.blind_index(upper)).values_list("id", flat=True)[:limit], 100, "id")
    if re.fullmatch(r"[0-9A-Z-]{3,30}", upper):
        add(visible.filter(card_no=upper).values_list("id", flat=True)[:limit], 100, "card")
        add(visible.filter(customer_code=upper).values_list("id", flat=True)[:limit], 98, "card")
    if has_han(q):
        name = clean_name(query).lower()
        kinds = [SearchKey.Kind.NAME, SearchKey.Kind.NAME_PART]
        for cid, (score, reason) in _key_matches(user, name, kinds, limit).items():
            add([cid], score, reason)
    else:
        letters = latin_key(q)
        if letters and not letters.isdigit():
            kinds = [SearchKey.Kind.PINYIN, SearchKey.Kind.INITIALS, SearchKey.Kind.PINYIN_OTHER,
                     SearchKey.Kind.INITIALS_OTHER]
            for cid, (score, reason) in _key_matches(user, letters, kinds, limit).items():
                add([cid], score, reason)
    return _rank(visible, found, limit)


def _rank(visible, found: dict[int, tuple[int, str]], limit: int) -> list[Hit]:
    """Best match first: score, then the guest seen most in the last year, then the shorter
    name, then pinyin order. Every candidate tied at the cut is considered."""
    if not found:
        return []
    scores = sorted((s for s, _r in found.values()), reverse=True)
    cut = scores[min(limit, len(scores)) - 1]
    pool = [cid for cid, (s, _r) in found.items() if s >= cut][:RANK_POOL]
    since = timezone.now() - dt.timedelta(days=365)
    # A correlated count per candidate walks the (customer, occurred_at) index; a join made
    # PostgreSQL scan every visit (55 ms at 500,000 visits).
    recent = (Visit.objects.filter(customer=OuterRef("pk"), occurred_at__gte=since).order_by()
              .values("customer").annotate(c=Count("*")).values("c"))
    facts = {cid: (n or 0, name, py) for cid, n, name, py in Customer.objects.filter(id__in=pool).annotate(
        n=Subquery(recent)).values_list("id", "n", "name", "name_pinyin")}
    order = sorted(facts, key=lambda cid: (
        -found[cid][0], -facts[cid][0], len(facts[cid][1]), facts[cid][2], cid))[:limit]
    customers = visible.select_related("owner").in_bulk(order)
    return [Hit(customers[cid], *found[cid]) for cid in order if cid in customers]
