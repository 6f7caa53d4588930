"""The public feedback page (R-8.4): QR targets, submissions and their abuse limits.

Targets. A QR code carries a signed token (django.core.signing.Signer, salt TOKEN_SALT; no
timestamp, so the same target always gives the same code) naming the
property, the outlet (or none: the property as a whole) and the room or table. No table
stores them: a token whose property or outlet no longer exists, or that was changed, is
not found; changing TOKEN_SALT's version revokes every printed code at once.

Submissions (`submit`, run as SYSTEM: the guest has no account). The text is plain: HTML tags
are removed, lines cleaned (core.services.clean_paragraphs), at most TEXT_MAX characters.
A mobile joins the submission to the guest's existing file only when the guest agrees
(`consent`) and exactly one file of the property has that mobile; the public page never opens
a file. Without consent the mobile is not stored at all. Praise and suggestions on a joined
file become a note on it; a complaint is recorded (complaints.services.record: step 1, its
clock starts) and the property's lobby managers (front desk) are notified.

Abuse limits (`over_limit`, `count_submission`): submissions per client address and per
device cookie in fixed windows of Django's cache (LIMITS). The cache must be shared by every
web process for the limits to hold across them (see settings.CACHES).
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from yingke.complaints import services
from yingke.complaints.models import Channel, Feedback, Kind, Severity
from yingke.core import notify
from yingke.core.models import Outlet, Property
from yingke.core.permissions import SYSTEM
from yingke.core.services import clean_paragraphs, clean_text
from yingke.customers.identity import normalize_mobile
from yingke.customers.models import Customer, Note
from yingke.customers.services import add_note

TOKEN_SALT = "yingke.complaints.feedback.v1"
TEXT_MAX = 1000
NAME_MAX = 40
LOCATION_MAX = 40

# (what is counted, submissions allowed, window in seconds)
# A device may send 5 in 10 minutes; an address, shared by every guest on the hotel's Wi-Fi or a
# carrier's NAT, 30 in 10 minutes and 200 a day.
LIMITS = (("device", 5, 10 * 60), ("ip", 30, 10 * 60), ("ip", 200, 24 * 3600))

NOTE_KINDS = {Feedback.Kind.PRAISE: Note.Kind.PRAISE, Feedback.Kind.SUGGESTION: Note.Kind.SUGGESTION}


# ---- QR targets -----------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    property: Property
    outlet: Outlet | None
    location: str


def make_token(prop: Property, outlet: Outlet | None = None, location: str = "") -> str:
    location = clean_text(location, "location", LOCATION_MAX, required=False)
    if outlet is not None and outlet.property_id != prop.pk:
        raise ValidationError({"outlet": [_("The outlet belongs to another property.")]})
    payload = [prop.pk, outlet.pk if outlet is not None else None]
    if location:
        payload.append(location)
    return signing.Signer(salt=TOKEN_SALT).sign_object(payload, compress=True)


def read_token(token: str) -> Target | None:
    """The target of a token; None when it was changed, malformed or names what is gone."""
    try:
        payload = signing.Signer(salt=TOKEN_SALT).unsign_object(str(token))
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        return None
    if not isinstance(payload, list) or len(payload) not in (2, 3):
        return None
    prop_id, outlet_id = payload[0], payload[1]
    location = payload[2] if len(payload) == 3 else ""
    if not isinstance(prop_id, int) or not (outlet_id is None or isinstance(outlet_id, int)) \
            or not isinstance(location, str):
        return None
    prop = Property.objects.filter(pk=prop_id).first()
    if prop is None:
        return None
    outlet = None
    if outlet_id is not None:
        outlet = Outlet.objects.filter(pk=outlet_id, property=prop).first()
        if outlet is None:
            return None
    return Target(prop, outlet, location[:LOCATION_MAX])


# ---- submissions ----------------------------------------------------------------------

def _file_of(prop: Property, mobile: str) -> Customer | None:
    """The one file of the property with this mobile (a person's first); None when there is
    none or it is ambiguous."""
    files = list(Customer.objects.filter(property=prop, mobile=mobile).order_by("id")[:10])
    people = [c for c in files if c.kind == Customer.Kind.PERSON] or files
    return people[0] if len(people) == 1 else None


def recipients(prop: Property):
    from yingke.complaints.escalation import recipients as level_recipients

    return level_recipients(prop.pk, 1)  # the lobby managers (front desk) of the property


@transaction.atomic
def submit(prop: Property, *, outlet: Outlet | None, location: str, kind: str, text: str, name: str = "",
           mobile: str = "", consent: bool = False, complaint_type: str = "", now=None) -> Feedback:
    """Store a submission of the public page (see the module's text); ValidationError with
    the messages per field for bad input."""
    errors: dict = {}
    now = now or timezone.now()
    fb = Feedback(property=prop, created_at=now)
    kind = str(kind or "").strip()
    if kind not in Feedback.Kind.values:
        errors.setdefault("kind", []).append(_("Choose praise, a suggestion or a complaint."))
    fb.kind = kind
    complaint_type = str(complaint_type or "").strip() or Kind.OTHER
    if kind == Feedback.Kind.COMPLAINT and complaint_type not in Kind.values:
        errors.setdefault("complaint_type", []).append(_("Choose one of the listed values."))
    fb.text = clean_paragraphs(strip_tags(str(text or "")), "text", TEXT_MAX, errors=errors)
    fb.name = clean_text(strip_tags(str(name or "")), "name", NAME_MAX, required=False, errors=errors)
    fb.location = clean_text(location, "location", LOCATION_MAX, required=False, errors=errors)
    if outlet is not None and outlet.property_id != prop.pk:
        errors.setdefault("outlet", []).append(_("The outlet belongs to another property."))
    fb.outlet = outlet
    fb.consent = bool(consent)
    number = ""
    if str(mobile or "").strip():
        try:
            number = normalize_mobile(mobile)
        except ValidationError as e:
            errors.setdefault("mobile", []).extend(e.messages)
    if errors:
        raise ValidationError(errors)
    if fb.consent and number:
        fb.mobile = number
        fb.customer = _file_of(prop, number)
    if kind == Feedback.Kind.COMPLAINT:
        fb.complaint = services.record(
            SYSTEM, prop, kind=complaint_type, words=fb.text, severity=Severity.MEDIUM, channel=Channel.PUBLIC_PAGE,
            customer=fb.customer, contact_name=fb.name if fb.consent else "", contact_phone=fb.mobile,
            outlet=outlet, location=fb.location, now=now)
    elif fb.customer is not None:
        add_note(SYSTEM, fb.customer, fb.text, kind=NOTE_KINDS[kind], outlet=outlet)
    fb.save()
    if fb.complaint is not None:
        c = fb.complaint
        notify.send(recipients(prop), "complaint.new", f"complaint:{c.pk}:new", {"complaint": c.pk},
                    link=f"/complaints/{c.pk}/")
    return fb


# ---- abuse limits ---------------------------------------------------------------------

def _keys(ip: str | None, device: str | None, now: dt.datetime):
    """(cache key, allowed, window) of each limit that applies."""
    stamp = int(now.timestamp())
    out = []
    for what, allowed, window in LIMITS:
        who = ip if what == "ip" else device
        if not who:
            continue
        digest = hashlib.sha256(f"{what}:{who}".encode()).hexdigest()[:32]
        out.append((f"yk:feedback:{what}:{window}:{stamp // window}:{digest}", allowed, window))
    return out


def over_limit(ip: str | None, device: str | None, now=None) -> bool:
    """Whether another submission from this address or device would go over a limit."""
    keys = _keys(ip, device, now or timezone.now())
    counts = cache.get_many([k for k, _a, _w in keys])
    return any(counts.get(key, 0) >= allowed for key, allowed, _w in keys)


def count_submission(ip: str | None, device: str | None, now=None) -> None:
    for key, _allowed, window in _keys(ip, device, now or timezone.now()):
        if not cache.add(key, 1, window + 60):
            try:
                cache.incr(key)
            except ValueError:  # expired in between
                cache.add(key, 1, window + 60)
