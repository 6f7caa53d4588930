"""Deterministic demo data: the same seed gives the same guests, dates and visits.

Built for speed (50,000 customers in seconds, 1,000,000 in minutes): rows are generated
as tuples and written with one multi-row statement per batch (COPY on PostgreSQL),
customer ids are reserved up front, search keys are computed once per distinct name,
and ID numbers are encrypted only for the guests that have one. Bulk demo rows get no
change-history records; everything else about them (normalised mobiles, encrypted IDs,
search keys) is what save_customer would have stored.
"""

import bisect
import datetime as dt
import json
import random
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from itertools import accumulate
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from lunar_python import LunarYear

from yingke.cli import demo_data as D
from yingke.core.db import insert_rows, refresh_statistics, reserve_ids
from yingke.core.models import Outlet, Property, User
from yingke.core.roles import Role
from yingke.customers import crypto
from yingke.customers.identity import id_check_char, mask_id
from yingke.customers.models import (
    ContactLink,
    Customer,
    Note,
    Preference,
    SearchKey,
    SpecialDate,
    Tag,
)
from yingke.customers.pinyin import primary_pinyin, search_keys
from yingke.visits.models import Visit
from yingke.visits.profile import refresh_profiles

CHUNK = 5000  # customers per transaction
VISIT_CHUNK = 20000
LEAP_MONTHS = {1952: 5, 1955: 3, 1957: 8, 1960: 6, 1963: 4, 1966: 3, 1968: 7, 1971: 5, 1974: 4, 1976: 8,
               1979: 6, 1982: 4, 1984: 10, 1987: 6, 1990: 5, 1993: 3, 1995: 8, 1998: 5, 2001: 4, 2004: 2}
LOGINS_FILE = "demo_logins.json"
OCCASIONS = {is_org: ([o for o, _w in pairs], list(accumulate(w for _o, w in pairs)))
             for is_org, pairs in ((False, D.PERSON_OCCASIONS), (True, D.ORG_OCCASIONS))}


@dataclass
class DemoResult:
    property: Property
    property_created: bool
    customers: int
    visits: int
    seconds: float
    logins: list = field(default_factory=list)  # (username, role, display name) of new staff
    password: str = ""


# --- set-up: property, outlets, staff, tags ----------------------------------------------

def setup_property(code: str, name: str | None, kind: str, password: str | None):
    """Return (property, created, account managers, new logins, password)."""
    prop = Property.objects.filter(code=code).first()
    created = prop is None
    if created:
        default = "迎客大酒店" if kind == Property.Kind.HOTEL else "迎客酒楼"
        prop = Property(code=code, name=name or (default if code == "DEMO" else f"{default}（{code}）"), kind=kind)
        prop.full_clean()
        prop.save()
    if not prop.outlets.exists():
        outlets = D.HOTEL_OUTLETS if prop.kind == Property.Kind.HOTEL else D.RESTAURANT_OUTLETS
        Outlet.objects.bulk_create(Outlet(property=prop, code=c, name=n, kind=k, capacity=cap)
                                   for c, n, k, cap in outlets)
    for tag in D.TAGS:
        Tag.objects.get_or_create(property=prop, name=tag)
    logins = []
    managers = list(User.objects.filter(properties=prop, role=Role.ACCOUNT_MANAGER, is_active=True)
                    .order_by("username"))
    if not managers:
        password = password or "".join(secrets.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(10))
        hashed = make_password(password)
        prefix = "" if code == "DEMO" else f"{code.lower()}_"
        users = {}
        for username, role, display, manager in D.STAFF:
            user = User(username=prefix + username, role=role, display_name=display, password=hashed,
                        manager=users.get(manager))
            user.save()
            users[username] = user
            logins.append((user.username, role, display))
        User.properties.through.objects.bulk_create(
            User.properties.through(user_id=u.pk, property_id=prop.pk) for u in users.values())
        managers = [u for u in users.values() if u.role == Role.ACCOUNT_MANAGER]
        save_logins(code, password, logins)
    return prop, created, managers, logins, password if logins else ""


def save_logins(code: str, password: str, logins) -> None:
    path = settings.HOME / LOGINS_FILE
    data = load_logins()
    data[code] = {"password": password, "users": [list(x) for x in logins]}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1))
    path.chmod(0o600)


def load_logins() -> dict:
    path = settings.HOME / LOGINS_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


# --- generators ---------------------------------------------------------------------------

@lru_cache(maxsize=200_000)
def keys_of(name: str):
    return tuple(search_keys(name)), primary_pinyin(name)[:200]


class LunarTable:
    """Month starts of the lunar years of demo birthdays, so that conversions are a
    bisect instead of lunar-python's astronomy (milliseconds per call)."""

    def __init__(self, first_year: int = 1949, last_year: int = 2006):
        months = {}
        for year in range(first_year, last_year + 1):
            for m in LunarYear.fromYear(year).getMonths():
                start = dt.date.fromordinal(int(m.getFirstJulianDay()) - 1721425)
                months[(m.getYear(), m.getMonth())] = (start, m.getDayCount())
        self.months = sorted((start, year, month, days) for (year, month), (start, days) in months.items())
        self.starts = [m[0] for m in self.months]
        self.by_month = {(year, month): start for start, year, month, _days in self.months}

    def to_lunar(self, date: dt.date) -> tuple[int, int, int]:
        """(lunar year, month — negative in a leap month, day), like lunar.solar_to_lunar."""
        start, year, month, _days = self.months[bisect.bisect(self.starts, date) - 1]
        return year, month, (date - start).days + 1

    def leap_day(self, year: int, day: int) -> dt.date:
        return self.by_month[(year, -LEAP_MONTHS[year])] + dt.timedelta(days=day - 1)


class Generator:
    def __init__(self, rng: random.Random, prop: Property, managers, today: dt.date):
        self.rng, self.prop, self.today = rng, prop, today
        self.managers = managers
        self.manager_cum = list(accumulate(len(managers) - i // 2 for i in range(len(managers))))
        self.surnames = [s for s, _ in D.SURNAMES]
        self.surname_cum = list(accumulate(w for _, w in D.SURNAMES))
        self.mobiles: set[str] = set(Customer.objects.filter(property=prop).exclude(mobile="")
                                     .values_list("mobile", flat=True))
        self.org_names: set[str] = set()
        self.orgs: list[tuple[int, str]] = []  # (id, name) of demo organisations so far
        self.contacts: dict[int, int] = {}  # organisation id → contacts linked
        self.tags = list(Tag.objects.filter(property=prop, name__in=D.TAGS).values_list("id", flat=True))
        self.now = timezone.now()
        self.customer_defaults = {f.attname: f.get_default() for f in Customer._meta.concrete_fields}
        self.customer_fields = list(self.customer_defaults)
        self.lunar = LunarTable()

    def pick(self, seq):
        return seq[int(self.rng.random() * len(seq))]

    def person_name(self, gender: str) -> str:
        r = self.rng
        surname = self.surnames[bisect.bisect(self.surname_cum, r.random() * self.surname_cum[-1])]
        given = D.MALE_GIVEN if gender == "M" else D.FEMALE_GIVEN
        if r.random() < 0.05:
            return surname + self.pick(given)[0] + self.pick(D.RARE_CHARS)
        # Earlier names in the list are more common (skewed towards the start).
        return surname + given[int(r.random() ** 1.6 * len(given))]

    def mobile(self) -> str:
        while True:
            m = self.pick(D.MOBILE_PREFIXES) + f"{int(self.rng.random() * 10**8):08d}"
            if m not in self.mobiles:
                self.mobiles.add(m)
                return m

    def birth_date(self, leap: bool) -> dt.date:
        r = self.rng
        if leap:  # a birthday inside a lunar leap month
            return self.lunar.leap_day(self.pick(list(LEAP_MONTHS)), 1 + int(r.random() * 29))
        return dt.date(1950, 1, 1) + dt.timedelta(days=int(r.random() * 365.25 * 54))

    def resident_id(self, birth: dt.date, gender: str) -> str:
        seq = int(self.rng.random() * 500) * 2 + (1 if gender == "M" else 0)
        first17 = f"{self.pick(D.ID_AREAS)}{birth:%Y%m%d}{seq:03d}"
        return first17 + id_check_char(first17)

    def org_name(self, unique: bool = True) -> tuple[str, str]:
        r = self.rng
        for _attempt in range(5):
            x = r.random()
            city = self.pick(D.CITIES)
            if x < 0.12:
                nature, name = "government", city + self.pick(D.GOVERNMENT)
            elif x < 0.27:
                nature, name = "soe", self.pick(D.SOE) + city + "分公司"
            elif x < 0.37:
                nature, name = "institution", city + self.pick(D.INSTITUTIONS)
            elif x < 0.42:
                nature, name = "foreign", self.pick(D.FOREIGN).replace("（中国）", f"（{city}）")
            else:
                nature = "private"
                name = (city + self.pick(D.COMPANY_CORES) + self.pick(D.COMPANY_TRADES)
                        + self.pick(D.COMPANY_SUFFIXES))
            if not unique or name not in self.org_names:
                break
        else:
            name = name + self.pick(D.DISTRICTS) + "分公司"
            if name in self.org_names:
                name = f"{name}（{len(self.org_names)}）"
        if unique:
            self.org_names.add(name)
        return nature, name

    def address(self) -> str:
        return (self.pick(D.CITIES) + "市" + self.pick(D.DISTRICTS) + self.pick(D.STREETS)
                + f"{1 + int(self.rng.random() * 300)}号")

    def owner(self):
        if self.rng.random() < 0.3 or not self.managers:
            return None  # in the pool
        return self.managers[bisect.bisect(self.manager_cum, self.rng.random() * self.manager_cum[-1])].pk

    def customers(self, ids: list[int], codes: list[str]):
        """Rows for Customer, SearchKey, tags, Preference, SpecialDate, Note, ContactLink."""
        r, pid = self.rng, self.prop.pk
        out = {m: [] for m in ("customer", "key", "tag", "pref", "date", "note", "contact")}
        kinds = ["org" if r.random() < 0.04 else "person" for _ in ids]
        order = [i for i, k in enumerate(kinds) if k == "org"] + [i for i, k in enumerate(kinds) if k == "person"]
        created_days, activity = {}, {}
        for i in order:
            cid, code, is_org = ids[i], codes[i], kinds[i] == "org"
            row = dict(self.customer_defaults)
            days_ago = int(r.random() ** 0.7 * 1100)
            created = self.now - dt.timedelta(days=days_ago, seconds=int(r.random() * 86400))
            row.update(id=cid, property_id=pid, customer_code=code, kind=kinds[i], created_at=created,
                       updated_at=created, owner_id=self.owner())
            if is_org:
                nature, name = self.org_name()
                row.update(name=name, nature=nature, business=D.BUSINESSES[nature], address=self.address(),
                           legal_representative=self.person_name("M"),
                           discount_rate=Decimal(self.pick(["0.850", "0.880", "0.900", "0.950"])),
                           agreed_room_rate=Decimal(380 + 50 * int(r.random() * 11)),
                           payment_method=self.pick(D.PAYMENT_METHODS), credit_terms=self.pick(D.CREDIT_TERMS))
                self.orgs.append((cid, name))
                if r.random() < 0.5:
                    out["date"].append((cid, "company", "成立纪念日", "solar", 1990 + int(r.random() * 30),
                                        1 + int(r.random() * 12), 1 + int(r.random() * 28), False, 7))
            else:
                gender = "M" if r.random() < 0.56 else "F"
                name = self.person_name(gender)
                lunar = r.random() < 0.15
                birth = self.birth_date(leap=lunar and r.random() < 0.08)
                row.update(name=name, gender=gender, birth_date=birth if r.random() < 0.7 or lunar else None)
                if r.random() < 0.95:
                    mobile = self.mobile()
                    row.update(mobile=mobile, mobile_last4=mobile[-4:])
                if r.random() < 0.25:
                    number = self.resident_id(birth, gender)
                    row.update(id_type="resident", id_number_enc=crypto.encrypt(number),
                               id_number_hash=crypto.blind_index(number), id_number_masked=mask_id(number),
                               birth_date=birth)
                if r.random() < 0.6:
                    if self.orgs and r.random() < 0.35:
                        org_id, employer = self.pick(self.orgs)
                        title = self.pick(D.CONTACT_TITLES)
                        if self.contacts.get(org_id, 0) < 3:
                            out["contact"].append((org_id, cid, title, org_id not in self.contacts))
                            self.contacts[org_id] = self.contacts.get(org_id, 0) + 1
                    else:
                        employer, title = self.org_name(unique=False)[1], self.pick(D.JOB_TITLES)
                    row.update(employer=employer, job_title=title)
                if r.random() < 0.15:
                    py = keys_of(name)[1] or "guest"
                    row["email"] = f"{py}{int(r.random() * 1000)}@{self.pick(D.EMAIL_DOMAINS)}"
                if r.random() < 0.3:
                    row["address"] = self.address()
                if r.random() < 0.5:
                    row["marital_status"] = "married" if r.random() < 0.7 else "single"
                if r.random() < 0.3:
                    row["card_no"] = "8" + code[1:].rjust(9, "0")
                if row["birth_date"] and (lunar or r.random() < 0.4):
                    if lunar:
                        ly, lm, ld = self.lunar.to_lunar(birth)
                        out["date"].append((cid, "birthday", "", "lunar", ly, abs(lm), ld, lm < 0, 7))
                    else:
                        out["date"].append((cid, "birthday", "", "solar", birth.year, birth.month, birth.day,
                                            False, 7))
                if row["marital_status"] == "married" and r.random() < 0.2:
                    out["date"].append((cid, "wedding", "", "solar", 2000 + int(r.random() * 24),
                                        1 + int(r.random() * 12), 1 + int(r.random() * 28), False, 7))
                if r.random() < 0.3:
                    for cat in r.sample(list(D.PREFERENCES), 1 + int(r.random() * 3)):
                        out["pref"].append((cid, cat, self.pick(D.PREFERENCES[cat]), None, created))
            keys, pinyin = keys_of(row["name"])
            row["name_pinyin"] = pinyin
            out["key"].extend((cid, pid, kind, key) for kind, key in keys)
            if r.random() < 0.25:
                for tag in r.sample(self.tags, 1 + int(r.random() * 2)):
                    out["tag"].append((cid, tag))
            if r.random() < 0.05:
                kind, text = self.pick(D.NOTES)
                out["note"].append((cid, kind, text, None, None, created + dt.timedelta(days=days_ago // 2)))
            out["customer"].append(tuple(row[f] for f in self.customer_fields))
            created_days[cid] = days_ago
            weight = 0.0 if r.random() < 0.35 else min(r.paretovariate(1.3), 40.0) * (3 if is_org else 1)
            lost = int(90 + r.random() * 300) if r.random() < 0.15 else 1
            activity[cid] = (weight, lost, min(days_ago, 730), is_org, row["owner_id"])
        return out, activity

    def visits(self, n: int, activity: dict, outlets: dict[str, Outlet], doc_seq: dict, doc_prefix: str = ""):
        """`n` visit rows drawn by each customer's activity weight."""
        r, pid = self.rng, self.prop.pk
        tz = ZoneInfo(self.prop.time_zone)
        active = [(cid, a) for cid, a in activity.items() if a[0] > 0 and a[2] >= a[1]]
        if not active:
            return
        cum = list(accumulate(a[0] for _, a in active))
        total = cum[-1]
        dining = [o for o in outlets.values() if o.kind == "restaurant"]
        banquet = next((o for o in outlets.values() if o.kind == "banquet"), dining[0])
        rooms = next((o for o in outlets.values() if o.kind == "rooms"), None)
        bar = next((o for o in outlets.values() if o.kind == "bar"), None)
        rows = []
        for _ in range(n):
            cid, (_w, lost, span, is_org, owner) = active[bisect.bisect(cum, r.random() * total)]
            day = self.today - dt.timedelta(days=lost + int(r.random() * (span - lost + 1)))
            occasion = self.occasion(is_org)
            if occasion == "stay" and rooms is None:
                occasion = "social"
            stay = (None, None, None, "", None, "")
            if occasion == "stay":
                outlet, covers = rooms, 1 + int(r.random() * 2)
                nights = 1 + int(r.random() * 3)
                rate = 380 + 20 * int(r.random() * 45)
                amount = rate * nights
                at = dt.time(11 + int(r.random() * 2), int(r.random() * 60))  # checked out and paid
                table = f"{3 + int(r.random() * 15)}{1 + int(r.random() * 30):02d}"
                stay = (day - dt.timedelta(days=nights), day, nights, self.pick(D.ROOM_TYPES), Decimal(rate),
                        self.pick(D.CHANNELS))
            else:
                if occasion in ("wedding", "birthday") or (occasion == "hosting" and r.random() < 0.3):
                    outlet = banquet
                elif bar is not None and r.random() < 0.05:
                    outlet = bar
                else:
                    outlet = dining[0] if len(dining) == 1 or r.random() < 0.8 else self.pick(dining[1:])
                covers, per_cover = self.covers(occasion, outlet.kind)
                amount = covers * per_cover
                lunch = r.random() < 0.42
                minute = int(r.random() * (120 if lunch else 180))
                at = dt.time(11 + (30 + minute) // 60, (30 + minute) % 60) if lunch else \
                    dt.time(17 + (30 + minute) // 60, (30 + minute) % 60)
                if outlet.kind == "banquet":
                    table = outlet.name
                elif occasion in ("hosting", "government", "business", "birthday") or covers >= 8:
                    table = self.pick(D.PRIVATE_ROOMS)
                else:
                    table = f"A{1 + int(r.random() * max(outlet.capacity, 1)):02d}"
            key = (outlet.code, day)
            doc_seq[key] = doc_seq.get(key, 0) + 1
            doc_no = f"{doc_prefix}{outlet.code}{day:%Y%m%d}{doc_seq[key]:04d}"
            rows.append((pid, outlet.pk, cid, dt.datetime.combine(day, at, tzinfo=tz),
                         Decimal(amount) + Decimal("0.50") * int(r.random() * 2), covers, table, occasion,
                         doc_no, doc_no, owner if owner and r.random() < 0.8 else None, self.now, *stay, ""))
        return rows

    def occasion(self, is_org: bool) -> str:
        names, cum = OCCASIONS[is_org]
        return names[bisect.bisect(cum, self.rng.random() * cum[-1])]

    def covers(self, occasion: str, outlet_kind: str) -> tuple[int, int]:
        r = self.rng
        low, high = {"wedding": (120, 400), "birthday": (10, 60), "hosting": (6, 20), "government": (8, 20),
                     "business": (2, 10), "family": (3, 8), "social": (2, 8), "hosted": (4, 12)}[occasion]
        covers = low + int(r.random() * (high - low + 1))
        if outlet_kind == "bar":
            covers = min(covers, 4)
        spend = {"banquet": (260, 680), "bar": (60, 180)}.get(outlet_kind, (110, 420))
        return covers, spend[0] + 10 * int(r.random() * ((spend[1] - spend[0]) // 10 + 1))


# --- the command ------------------------------------------------------------------------------

def run_demo(code: str = "DEMO", customers: int = 3000, visits: int | None = None, seed: int = 1,
             kind: str = Property.Kind.HOTEL, name: str | None = None, password: str | None = None,
             progress=None) -> DemoResult:
    """Create (or add to) a demo property. `progress(done, total, what)` is called per batch."""
    started = time.monotonic()
    visits = customers * 4 if visits is None else visits
    rng = random.Random(seed)
    today = timezone.localdate()
    with transaction.atomic():
        prop, created, managers, logins, password = setup_property(code, name, kind, password)
        existing = Customer.objects.filter(property=prop).count()
        first, last = f"C{existing + 1:07d}", f"C{existing + customers:07d}"
        if customers and Customer.objects.filter(property=prop, customer_code__gte=first,
                                                 customer_code__lte=last).exists():
            raise ValueError(f"customer codes {first}…{last} are taken in property {code}")
    gen = Generator(rng, prop, managers, today)
    activity: dict = {}
    for start in range(0, customers, CHUNK):
        n = min(CHUNK, customers - start)
        with transaction.atomic():
            ids = reserve_ids(Customer, n)
            codes = [f"C{existing + start + i + 1:07d}" for i in range(n)]
            rows, act = gen.customers(ids, codes)
            insert_rows(Customer, gen.customer_fields, rows["customer"])
            insert_rows(SearchKey, ["customer_id", "property_id", "kind", "key"], rows["key"])
            insert_rows(Customer.tags.through, ["customer_id", "tag_id"], rows["tag"])
            insert_rows(Preference, ["customer_id", "category", "value", "created_by_id", "created_at"], rows["pref"])
            insert_rows(SpecialDate, ["customer_id", "kind", "label", "calendar", "year", "month", "day",
                                      "leap_month", "remind_days"], rows["date"])
            insert_rows(Note, ["customer_id", "kind", "text", "outlet_id", "author_id", "created_at"], rows["note"])
            insert_rows(ContactLink, ["organisation_id", "person_id", "title", "is_primary"], rows["contact"])
        activity.update(act)
        if progress:
            progress(start + n, customers, "customers")
    outlets = {o.code: o for o in prop.outlets.all()}
    doc_seq: dict = {}
    earlier = Visit.objects.filter(property=prop).count()
    doc_prefix = f"R{earlier}-" if earlier else ""  # keeps document numbers unique on a second run
    visit_fields = ["property_id", "outlet_id", "customer_id", "occurred_at", "amount", "covers", "table_no",
                    "occasion", "doc_no", "doc_key", "served_by_id", "created_at", "arrival", "departure", "nights",
                    "room_type", "rate", "channel", "void_reason"]
    done = 0
    while done < visits and activity and outlets:
        n = min(VISIT_CHUNK, visits - done)
        with transaction.atomic():
            insert_rows(Visit, visit_fields, gen.visits(n, activity, outlets, doc_seq, doc_prefix) or [])
        done += n
        if progress:
            progress(done, visits, "visits")
    refresh_profiles(property=prop)  # the consumption profile of every file, set-based
    refresh_statistics()
    return DemoResult(prop, created, customers, done, time.monotonic() - started, logins, password)
