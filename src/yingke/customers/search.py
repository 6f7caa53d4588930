"""The one search box (R-2.7): mobile (full or last 4), name, pinyin, initials, every
reading of polyphonic characters, ID number, card number; best match first.

Every lookup is an indexed equality or prefix range and is restricted by the
permission rule in the same query. Two more rules protect what a role sees masked
(R-12.1, R-12.2):

* Mobiles. A role that sees mobiles masked (permissions.sees_full_mobile) finds a guest
  by the full number or its last 4 digits only; a prefix of 5–10 digits finds nothing
  for it, or searching prefixes would spell out the hidden digits one by one.
* ID numbers. An exact ID lookup confirms a guess, and a masked ID plus the birth date
  leaves about nine candidates for a resident ID. So every search that looks up an ID
  number is audited ("search.id_number": matched or not and the customers found, never
  the number), and a member of staff gets at most settings.ID_LOOKUPS_PER_HOUR of them
  an hour, counted in the audit table so the limit holds across processes; past it the
  ID is not looked up and the result says so (`Results.id_lookup_limited`).
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.core import permissions
from yingke.core.models import AuditEvent
from yingke.customers import crypto
from yingke.customers.identity import clean_text, normalize_mobile, parse_resident_id
from yingke.customers.models import Customer, SearchKey
from yingke.customers.pinyin import has_han, latin_key, name_key

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

ID_LOOKUP = "search.id_number"  # the audit action of an ID lookup
ID_LOOKUP_WINDOW = dt.timedelta(hours=1)
DEFAULT_ID_LOOKUPS_PER_HOUR = 20
DOCUMENT = re.compile(r"[0-9A-Z]{5,20}")  # the stored form of every kind of ID number
# What a mobile looks like while it is typed or pasted: never looked up as an ID number.
MOBILE_SHAPE = re.compile(r"1\d{4,10}|86\d{11}|00\d{5,18}")


@dataclass
class Hit:
    customer: Customer
    score: int
    reason: str


class Results(list):
    """The hits, best first. `id_lookup_limited`: the query looked like an ID number but
    the user's ID lookups for the hour are used up, so ID numbers were not searched.
    `mobile_prefix_refused`: the query was the start of a mobile and the user's role
    finds mobiles only in full or by the last 4 digits."""

    id_lookup_limited = False
    mobile_prefix_refused = False

    def notices(self) -> list[str]:
        """What to tell the user about this search (the page, the suggestions, the API)."""
        out = [id_limit_message()] if self.id_lookup_limited else []
        if self.mobile_prefix_refused and not self:
            out.append(mobile_prefix_message())
        return out


def id_lookups_per_hour() -> int:
    return getattr(settings, "ID_LOOKUPS_PER_HOUR", DEFAULT_ID_LOOKUPS_PER_HOUR)


def mobile_prefix_message() -> str:
    return _("Your role finds a guest by the whole mobile number or its last 4 digits, not by its first digits.")


def id_limit_message() -> str:
    """What the search page, the suggestions and the API say when the limit was reached."""
    return _("ID numbers can be looked up %(limit)s times an hour and you have reached that limit, "
             "so this search did not look for ID numbers; other matches are shown.") % {
        "limit": id_lookups_per_hour()}


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


def looks_like_id(upper: str, *, complete_only: bool = False) -> bool:
    """Whether a query (upper case, no spaces) is searched as an ID number.

    An ID number is stored as 5–20 letters and digits; a query of that shape with at least
    one digit is looked up, unless it is shaped like a mobile being typed (all digits from
    1 and at most 11 of them, or with the 86 / 00 prefixes). With `complete_only` (the
    suggestions while typing) only a complete, valid resident ID is: every keystroke would
    otherwise count as a lookup.
    """
    if complete_only:
        try:
            return parse_resident_id(upper).number == upper
        except ValidationError:
            return False
    return (bool(DOCUMENT.fullmatch(upper)) and any(c.isdigit() for c in upper)
            and not MOBILE_SHAPE.fullmatch(upper))


def _id_lookup(user, visible, number: str, limit: int) -> list[int] | None:
    """The ids of the visible customers with this ID number, audited; None when the user's
    ID lookups for the hour are used up (then nothing found is returned)."""
    if not permissions.is_staff(user) and not permissions.is_system(user):
        return []  # sees no file: nothing to look up or to count
    ids = list(visible.filter(id_number_hash__in=crypto.blind_indexes(number)).values_list("id", flat=True)[:limit])
    # Record, then count the lookups recorded before this one, so that requests racing at
    # the limit in several processes do not all pass (each insert commits at once).
    event = AuditEvent.record(user, ID_LOOKUP, rows=len(ids), matched=bool(ids), customer_ids=ids, limited=False)
    if permissions.is_staff(user):
        used = AuditEvent.objects.filter(user=user, action=ID_LOOKUP, at__gte=timezone.now() - ID_LOOKUP_WINDOW,
                                         id__lt=event.id, details__limited=False).count()
        if used >= id_lookups_per_hour():
            event.details["limited"] = True  # what it would have found stays in the audit, for the administrator
            event.save(update_fields=["details"])
            return None
    return ids


def search(user, query: str, limit: int = 20, *, complete_ids_only: bool = False) -> Results:
    """The hits for `query`, best first. `complete_ids_only`: look up an ID number only when
    the query is a complete resident ID (the suggestions under the box, sent while typing)."""
    query = "".join(ch for ch in (query or "")[:200] if ch.isprintable())  # no NUL or control characters
    q = clean_text(query)
    results = Results()
    if not q:
        return results
    visible = Customer.objects.visible_to(user)
    found: dict[int, tuple[int, str]] = {}

    def add(ids, score, reason):
        for cid in ids:
            if cid not in found or found[cid][0] < score:
                found[cid] = (score, reason)

    upper = q.upper()
    phone = re.sub(r"[-().]", "", q)  # 138-1234-5678, (0852) …
    if re.fullmatch(r"\+?\d{3,20}", phone):
        digits = phone.lstrip("+")
        if len(digits) == 4:
            add(visible.filter(mobile_last4=digits).values_list("id", flat=True)[:limit * 2], 90, "mobile_last4")
        elif len(digits) >= 5:
            mobile = digits[2:] if len(digits) == 13 and digits.startswith("86") else digits
            try:  # stored form: 11 digits for the mainland, E.164 for other countries
                candidates = {mobile, normalize_mobile(phone if phone.startswith(("+", "00")) else "+" + digits)}
            except ValidationError:
                candidates = {mobile}
            add(visible.filter(mobile__in=candidates).values_list("id", flat=True)[:limit], 100, "mobile")
            if len(mobile) < 11 and not permissions.sees_full_mobile(user):
                results.mobile_prefix_refused = True  # only for roles that see the whole number
            elif len(mobile) < 11:
                add(visible.filter(mobile__gte=mobile, mobile__lt=_upper_bound(mobile))
                    .values_list("id", flat=True)[:limit], 70, "mobile")
    is_card = False
    if re.fullmatch(r"[0-9A-Z-]{3,30}", upper):
        cards = list(visible.filter(card_no=upper).values_list("id", flat=True)[:limit])
        codes = list(visible.filter(customer_code=upper).values_list("id", flat=True)[:limit])
        add(cards, 100, "card")
        add(codes, 98, "card")
        is_card = bool(cards or codes)
    # A card number or customer code that was found is what the user looked for: it is not
    # also looked up (and counted) as an ID number.
    if not is_card and looks_like_id(upper, complete_only=complete_ids_only):
        ids = _id_lookup(user, visible, upper, limit)
        if ids is None:
            results.id_lookup_limited = True
        else:
            add(ids, 100, "id")
    if has_han(q):
        kinds = [SearchKey.Kind.NAME, SearchKey.Kind.NAME_PART]
        for cid, (score, reason) in _key_matches(user, name_key(query), kinds, limit).items():
            add([cid], score, reason)
    else:
        letters = latin_key(q)
        if letters and not letters.isdigit():
            # NAME_PART: a later word of a latin name (Smith finds John Smith).
            kinds = [SearchKey.Kind.PINYIN, SearchKey.Kind.INITIALS, SearchKey.Kind.PINYIN_OTHER,
                     SearchKey.Kind.INITIALS_OTHER, SearchKey.Kind.NAME_PART]
            for cid, (score, reason) in _key_matches(user, letters, kinds, limit).items():
                add([cid], score, reason)
    results.extend(_rank(visible, found, limit))
    return results


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
    # PostgreSQL scan every visit (55 ms at 500,000 visits). Visits are reached through the
    # reverse relation so that customers never imports the visits app (visits imports us).
    visit = Customer._meta.get_field("visits").related_model
    recent = (visit._default_manager.filter(customer=OuterRef("pk"), occurred_at__gte=since).order_by()
              .values("customer").annotate(c=Count("*")).values("c"))
    facts = {cid: (n or 0, name, py) for cid, n, name, py in Customer.objects.filter(id__in=pool).annotate(
        n=Subquery(recent)).values_list("id", "n", "name", "name_pinyin")}
    order = sorted(facts, key=lambda cid: (
        -found[cid][0], -facts[cid][0], len(facts[cid][1]), facts[cid][2], cid))[:limit]
    customers = visible.select_related("owner").in_bulk(order)
    return [Hit(customers[cid], *found[cid]) for cid in order if cid in customers]
