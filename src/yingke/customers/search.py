"""The one search box (R-2.7): mobile (full or last 4), name, pinyin, initials, every
reading of polyphonic characters, ID number, card number; best match first.

Every lookup is an indexed equality or prefix range and is restricted by the
permission rule in the same query.
"""

import re
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Value, When

from yingke.customers import crypto
from yingke.customers.identity import clean_text
from yingke.customers.models import Customer, SearchKey
from yingke.customers.pinyin import clean_name, has_han, latin_key
from yingke.customers.queries import customer_rule

# Score of a match by kind of key; exact matches of a key score `exact`, prefixes `prefix`.
KEY_SCORES = {  # kind: (exact, prefix)
    SearchKey.Kind.NAME: (100, 80),
    SearchKey.Kind.PINYIN: (95, 75),
    SearchKey.Kind.INITIALS: (92, 72),
    4: (88, 68),  # another reading of a polyphonic character
    5: (85, 65),
}
KIND_REASON = {1: "name", 2: "pinyin", 3: "initials", 4: "pinyin", 5: "initials"}


@dataclass
class Hit:
    customer: Customer
    score: int
    reason: str


def _upper_bound(q: str) -> str:
    return q[:-1] + chr(ord(q[-1]) + 1)


def _key_matches(user, q: str, kinds, limit: int) -> dict[int, tuple[int, str]]:
    whens = []
    for kind in kinds:
        exact, prefix = KEY_SCORES[kind]
        whens.append(When(kind=kind, key=q, then=Value(exact)))
        whens.append(When(kind=kind, then=Value(prefix)))
    rows = (
        SearchKey.objects.filter(customer_rule(user, "customer"), key__gte=q, key__lt=_upper_bound(q), kind__in=kinds)
        .annotate(score=Case(*whens, output_field=IntegerField()))
        .order_by("-score", "customer_id")
        .values_list("customer_id", "score", "kind")[: limit * 4]
    )
    out: dict[int, tuple[int, str]] = {}
    for cid, score, kind in rows:
        if cid not in out or out[cid][0] < score:
            out[cid] = (score, KIND_REASON[kind])
    return out


def search(user, query: str, limit: int = 20) -> list[Hit]:
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
            add(visible.filter(mobile=mobile).values_list("id", flat=True)[:limit], 100, "mobile")
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
        for cid, (score, reason) in _key_matches(user, name, [SearchKey.Kind.NAME], limit).items():
            add([cid], score, reason)
        if len(found) < limit:
            add(visible.filter(name__contains=name).values_list("id", flat=True)[:limit], 50, "name")
    else:
        letters = latin_key(q)
        if letters and not letters.isdigit():
            kinds = [SearchKey.Kind.PINYIN, SearchKey.Kind.INITIALS, 4, 5]
            for cid, (score, reason) in _key_matches(user, letters, kinds, limit).items():
                add([cid], score, reason)
    if not found:
        return []
    customers = visible.filter(id__in=list(found)).select_related("owner")
    hits = [Hit(c, *found[c.id]) for c in customers]
    hits.sort(key=lambda h: (-h.score, len(h.customer.name), h.customer.name_pinyin, h.customer.id))
    return hits[:limit]
