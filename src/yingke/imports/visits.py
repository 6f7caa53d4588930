"""Visit and stay import (R-3.1, R-3.2): POS and PMS exports, one row per bill or stay.

Each row is keyed by its document number (单据号), or, without one, by "#" + the SHA-1 of
its normalised content, so the same document imported twice is stored once (unchanged);
the same document number with different content is a correction (updated, recorded in the
visit's history with the import as the reason); a document twice in one file is rejected
the second time, naming the first line. A voided visit is never changed by an import (the
row is rejected, naming who voided it and when). A correction whose code, card or mobile
finds another guest's file moves the visit to that file (in its history, both profiles
refreshed); one that names a guest without a file is rejected.

The guest is found by customer code, then card number, then mobile, then - only for a row
that names no code, card or mobile - the exact name when exactly one file of the property
bears it; otherwise a new file is opened with the
row's code (or a code derived from name and mobile, so that a re-run finds it again), name
and mobile, through customers.bulk.create_many (the same checks as every new file). A
mobile or card number shared by several files is ambiguous: the row is rejected and asks
for the customer code.

Outlets are matched by code or name; an unknown one is created on first sight and named
in the summary, unless the property's outlets are fixed (then the row is rejected). Stays
without an outlet go to the property's rooms outlet when it has exactly one.

Speed: from PARSE_AHEAD_ROWS rows on, a second process reads and parses the next batches
(imports.ahead) while this one looks up and writes. A batch is parsed first (pure Python,
the common formats on fast paths; also the
normalised mobile, the generated code, the outlet key and, on SQLite, the stored form of
times, amounts and dates), then looked up in a few queries (existing documents: one range
probe first, which skips the look-up when no stored key lies among the batch's, as for a new
export; on PostgreSQL sorted chunks of 1,000 keys, which use the index; customers by
code/card/mobile/name); new visits are written with one COPY (PostgreSQL, ids from the
column's sequence) or executemany (SQLite); PostgreSQL's planner statistics of the visits
table are refreshed as the run grows it (10,000, 40,000, 160,000 … visits) and before the
profiles are refreshed. The import run each visit names records who created it, when, from
which file (a "+" history record is written when a visit is first corrected); corrections,
rare, are saved one by one with their history record. A run that wrote or corrected visits
sends visits_changed once, in its last step's transaction.
"""

import datetime as dt
import hashlib
import re
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.core import permissions
from yingke.core.db import insert_rows, refresh_statistics, reserve_ids, sqlite_datetime
from yingke.core.models import Outlet, User, code_validator
from yingke.core.parsing import (
    CellError,
    choice_key,
    choices,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
    text,
)
from yingke.core.permissions import CREATE
from yingke.core.services import plain
from yingke.customers.identity import normalize_mobile
from yingke.customers.models import Customer
from yingke.customers.pinyin import clean_name
from yingke.imports import ahead
from yingke.imports.columns import Column
from yingke.imports.pipeline import CREATED, UNCHANGED, UPDATED, Importer, Result, Row, RowRejected
from yingke.imports.reading import FileError
from yingke.visits.models import Visit
from yingke.visits.signals import visits_changed

try:  # written by the visits part of issue 12; the import must not fail without it
    from yingke.visits.profile import refresh_profiles
except ImportError:  # pragma: no cover - only while the parts are being put together
    refresh_profiles = None

EARLIEST = dt.date(2000, 1, 1)
MAX_NIGHTS = 366
MAX_COVERS = 9999
ANALYZE_AFTER = 10_000  # new visits in a run after which finish() refreshes the planner's statistics
CACHE_LIMIT = 200_000  # keys kept between batches (customers, documents seen): memory stays flat
MOBILE_RE = re.compile(r"1[3-9]\d{9}")
PARSE_AHEAD_ROWS = 20_000  # from this many rows (estimated) a second process reads and parses ahead


def clean(value: str) -> str:
    """customers.pinyin.clean_name, faster on the usual ASCII cells."""
    if value.isascii():
        return value if "  " not in value and value.strip() == value else " ".join(value.split())
    return clean_name(value)
HISTORY_REASON_MAX = 100
# digits of the model's fields: an amount has at most 10 before the point, a rate 8
AMOUNT_DIGITS = (Visit._meta.get_field("amount").max_digits, Visit._meta.get_field("amount").decimal_places)
RATE_DIGITS = (Visit._meta.get_field("rate").max_digits, Visit._meta.get_field("rate").decimal_places)


def _label(field: str):
    return Visit._meta.get_field(field).verbose_name


COMMON = [
    Column("doc_no", _label("doc_no"), ("单据号", "账单号", "流水号", "单号", "单据编号", "账单编号", "结账单号",
                                         "订单号", "doc no", "document no", "document number", "bill no",
                                         "bill number", "check no", "receipt no", "folio", "folio no")),
    Column("customer_code", gettext_lazy("customer code"), ("客户编号", "客户代码", "客户编码", "客户号", "档案号",
                                                          "customer code", "customer no", "customer id")),
    Column("card_no", gettext_lazy("card number"), ("会员卡号", "卡号", "会员号", "会员编号", "card no", "card",
                                                  "member card", "membership no", "member no")),
    Column("name", gettext_lazy("name"), ("姓名", "客户姓名", "宾客姓名", "客人姓名", "客户名称", "客人", "宾客",
                                        "name", "guest name", "guest", "customer name", "customer")),
    Column("mobile", gettext_lazy("mobile"), ("手机", "手机号", "手机号码", "移动电话", "联系电话", "联系手机", "电话",
                                            "mobile phone", "mobile no", "phone", "cellphone", "tel")),
    Column("amount", _label("amount"), ("金额", "消费金额", "实收", "实收金额", "结账金额", "应收金额", "消费总额",
                                        "总金额", "合计", "amount", "total", "paid", "amount paid"), required=True),
    Column("covers", _label("covers"), ("人数", "就餐人数", "客人数", "用餐人数", "covers", "pax", "guests")),
    Column("outlet", _label("outlet"), ("餐厅", "营业点", "消费点", "门店", "餐厅名称", "营业点名称", "outlet",
                                        "restaurant", "venue", "outlet name")),
    Column("table_no", _label("table_no"), ("桌号", "房号", "台号", "房间号", "包厢", "table", "table no",
                                            "room", "room no")),
    Column("occasion", _label("occasion"), ("场合", "用餐类型", "消费类型", "就餐类型", "occasion")),
    Column("served_by", _label("served_by"), ("客户经理", "销售经理", "负责人", "manager", "account manager",
                                              "sales manager")),
]
DATE_SYNONYMS = ("日期", "消费时间", "结账时间", "消费日期", "结账日期", "账单日期", "营业日期", "就餐时间", "时间",
                 "日期时间", "date", "time", "datetime", "date time", "bill date", "visit date", "occurred at")
VISIT_COLUMNS = [COMMON[0], Column("occurred_at", _label("occurred_at"), DATE_SYNONYMS, required=True), *COMMON[1:]]
STAY_COLUMNS = [
    COMMON[0], Column("occurred_at", _label("occurred_at"), DATE_SYNONYMS),
    Column("arrival", _label("arrival"), ("到店", "入住", "到店日期", "入住日期", "抵店日期", "到达日期", "入住时间",
                                          "到店时间", "arrival", "arrival date", "check in", "checkin", "check-in"),
           required=True),
    Column("departure", _label("departure"), ("离店", "离店日期", "退房", "退房日期", "离店时间", "退房时间",
                                              "departure", "departure date", "check out", "checkout", "check-out"),
           required=True),
    Column("room_type", _label("room_type"), ("房型", "房间类型", "房类", "room type", "room_type")),
    Column("rate", _label("rate"), ("房价", "房费单价", "成交价", "rate", "room rate", "average rate")),
    Column("channel", _label("channel"), ("渠道", "预订渠道", "订房渠道", "来源", "booking channel", "channel",
                                          "source")),
    *COMMON[1:],
]
OCCASIONS = choices({
    "hosting": ("宴请", "请客"), "hosted": ("被宴请", "被请"), "government": ("政务接待", "政务", "公务接待"),
    "business": ("商务洽谈", "商务", "商务宴请"), "social": ("社交就餐", "社交", "朋友聚餐", "聚餐"),
    "wedding": ("婚宴", "婚礼"), "birthday": ("寿宴", "生日宴", "生日"), "family": ("家宴", "家庭聚餐"),
    "stay": ("住店", "住宿", "入住"), "other": ("其他", "其它"),
})
OCCASION_HINT = "宴请、被宴请、政务接待、商务洽谈、社交就餐、婚宴、寿宴、家宴、住店、其他"
IDENTITY_KEYS = ("customer_code", "card_no", "mobile", "name")
TEXT_LIMITS = {"doc_no": 40, "table_no": 20, "room_type": 40, "channel": 40}
# Visit columns written for a new row, in this order (see _visit_tuple).
INSERT_FIELDS = ["id", "property_id", "outlet_id", "customer_id", "occurred_at", "amount", "covers", "table_no",
                 "occasion", "doc_no", "doc_key", "served_by_id", "arrival", "departure", "nights", "room_type",
                 "rate", "channel", "void_reason", "import_run_id", "created_by_id", "created_at"]
# The plain values of a parsed row, in the order `VisitImporter._wire` sends them.
WIRED = ("covers", "doc_no", "table_no", "room_type", "channel", "occasion", "served_by_id", "nights")
# Compared to tell a correction from an unchanged row: (field, column key that provides it).
COMPARED = [("customer_id", None), ("occurred_at", None), ("amount", None), ("covers", "covers"),
            ("outlet_id", "outlet"), ("table_no", "table_no"), ("occasion", "occasion"),
            ("served_by_id", "served_by"), ("arrival", "arrival"), ("departure", "departure"),
            ("nights", "departure"), ("room_type", "room_type"), ("rate", "rate"), ("channel", "channel")]
EXISTING_FIELDS = ["id", "doc_key", "import_run_id", "voided_at", "voided_by_id"] + [f for f, _k in COMPARED]


PG_LOOKUP_CHUNK = 1000


def _select_in(sql: str, model, params: list, values: list) -> list[tuple]:
    """A look-up by a long list of plain values (strings, ids) in raw SQL: the ORM spends
    more time preparing 5,000 IN parameters than the database spends answering.

    PostgreSQL gets one array parameter per PG_LOOKUP_CHUNK values, sorted (index pages in
    order): with 5,000 it planned a scan of the property's whole table (216 ms at 200,000
    visits, growing with the table) instead of 5 index look-ups of 1,000 (5 × 7 ms)."""
    if not values:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = sql.replace(" IN ({marks})", " = ANY(%s)").format(table=table)
            values = sorted(values)
            out = []
            for i in range(0, len(values), PG_LOOKUP_CHUNK):
                cursor.execute(sql, [*params, values[i:i + PG_LOOKUP_CHUNK]])
                out.extend(cursor.fetchall())
            return out
        cursor.execute(sql.format(table=table, marks=", ".join(["%s"] * len(values))), [*params, *values])
        return cursor.fetchall()


class Prepared:
    """One row after parsing and looking up, before writing."""

    __slots__ = ("line", "problems", "values", "doc_key", "customer", "existing", "outcome", "ref", "changes",
                 "generated", "stored")

    def __init__(self, line):
        self.line = line
        self.problems = []
        self.values = None  # field → value
        self.doc_key = ""
        self.customer = None  # an id, or a new (unsaved) Customer
        self.existing = None  # dict of the stored visit
        self.outcome = ""
        self.ref = ""
        self.changes = None
        self.generated = ""  # the code a new file of this row gets when the row has none
        # (occurred_at, amount, arrival, departure, rate) as the insert gives them to the database:
        # text (SQLite as it stores them; ISO forms that COPY hands to PostgreSQL's parser)
        self.stored = None

    def typed(self) -> dict:
        """`values` with the times, dates and amounts as Python values. A row parsed by the
        reading process has them only as text (`stored`) until a stored document is compared
        or corrected; read back, a time keeps its instant (SQLite's text is naive UTC) and a
        Decimal its digits."""
        values = self.values
        if "occurred_at" not in values:
            occurred, amount, arrival, departure, rate = self.stored
            at = dt.datetime.fromisoformat(occurred)
            values.update(occurred_at=at if at.tzinfo else at.replace(tzinfo=dt.UTC), amount=Decimal(amount),
                          arrival=arrival and dt.date.fromisoformat(arrival),
                          departure=departure and dt.date.fromisoformat(departure),
                          rate=None if rate is None else Decimal(rate))
        return values


class VisitImporter(Importer):
    kind = "visits"
    columns = VISIT_COLUMNS
    # 10,000 rows a batch: each commit is a WAL flush (PostgreSQL: ~0.1 s here), so halving their
    # number saves seconds on a large file; a batch's memory stays a few MB
    batch_size = 10_000
    row_savepoint = False  # rows only queue their writes; end_batch writes them
    ref_column = "doc_no"
    stay = False
    bulk_models = (Visit, Customer)  # whose planner statistics a big import refreshes

    def __init__(self, property, actor=permissions.SYSTEM):
        self.property, self.actor = property, actor
        try:
            self.tz = ZoneInfo(property.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            self.tz = timezone.get_current_timezone()
        self.user = permissions.history_user(actor)
        self.user_id = self.user.pk if self.user else None
        self.may_create = permissions.can(actor, CREATE, property)
        self.outlets: dict[str, Outlet] = {}
        self.outlet_codes: set[str] = set()
        for outlet in Outlet.objects.filter(property=property).order_by("id"):
            self._remember_outlet(outlet)
        rooms = [o for o in Outlet.objects.filter(property=property, kind=Outlet.Kind.ROOMS)]
        self.rooms_outlet = rooms[0] if len(rooms) == 1 else None
        self.new_outlets: list[str] = []
        self.staff: dict[str, int] = {}
        for user in User.objects.filter(properties=property, is_active=True).order_by("id"):
            self.staff.setdefault(user.username.lower(), user.pk)
            if user.display_name:
                self.staff.setdefault(clean_name(user.display_name), user.pk)
        self.seen: dict[str, int] = {}  # doc_key → line of its first row in this file
        self.known: dict[tuple, int | None] = {}  # (kind, value) → customer id, None when ambiguous
        self.touched: set[int] = set()  # files the current batch writes visits to
        self.corrected: set[int] = set()  # files whose visits the current batch corrects or moves
        self.to_refresh: set[int] = set()  # files of committed batches, refreshed by finish()
        self.prepared: dict[int, Prepared] = {}
        self.preparsed: dict[int, tuple] = {}  # line → the reading process's parse of the coming batch
        self.pending: dict[tuple, Customer] = {}
        self.queue: list[Prepared] = []
        self.batch_outlets: list[str] = []
        self.written_customers: list[Customer] = []
        self.latest = timezone.localdate() + dt.timedelta(days=1)
        self.inserted = 0  # new visits written by this run
        self.analyze_at = ANALYZE_AFTER
        self.sqlite = connection.vendor == "sqlite"
        self.wrote = False  # visits written or corrected: finish() sends visits_changed

    # --- set-up -------------------------------------------------------------------------

    def start(self, table, header):
        super().start(table, header)
        if not any(k in header.index for k in IDENTITY_KEYS):
            raise FileError(_("%(name)s, line %(line)d: no column names the guest; add one of: %(columns)s.")
                            % {"name": table.name, "line": header.line,
                               "columns": "、".join(str(c.label) for c in self.columns if c.key in IDENTITY_KEYS)})
        self.spreadsheet = table.format == "spreadsheet"
        self.reason = f"import {table.name}"
        if self.run is not None and self.run.pk:
            self.reason = f"import #{self.run.pk} {table.name}"
        self.reason = self.reason[:HISTORY_REASON_MAX]
        self.positions = {key: header.index.get(key) for key in
                          {c.key for c in self.columns}}
        self.present = [(key, i) for key, i in header.index.items()]

    def ref(self, row: Row) -> str:
        p = self.prepared.get(row.line)
        if p is not None and p.ref:
            return p.ref
        return text(row.raw("doc_no"))[:100]

    # --- outlets --------------------------------------------------------------------------

    @staticmethod
    def _outlet_key(value: str) -> str:
        return clean_name(value).casefold()

    def _remember_outlet(self, outlet: Outlet) -> None:
        self.outlets.setdefault(self._outlet_key(outlet.code), outlet)
        self.outlets.setdefault(self._outlet_key(outlet.name), outlet)
        self.outlet_codes.add(outlet.code.upper())

    def _outlet(self, value: str, problems: list):
        key = self._outlet_key(value)
        outlet = self.outlets.get(key)
        if outlet is not None:
            return outlet
        name = clean_name(value)
        if self.property.outlets_strict:
            problems.append(("outlet", _("No outlet with this code or name in this property, and its outlets "
                                         "are fixed; ask an administrator to add it, or correct the name.")))
            return None
        if len(name) > 100 or not plain(name):
            problems.append(("outlet", _("Not a usable outlet name (at most 100 characters, no control "
                                         "characters).")))
            return None
        outlet = Outlet(property=self.property, code=self._outlet_code(name), name=name,
                        kind=Outlet.Kind.ROOMS if self.stay else Outlet.Kind.RESTAURANT)
        outlet.save()
        self._remember_outlet(outlet)
        self.new_outlets.append(name)
        self.batch_outlets.append(key)
        return outlet

    def _outlet_code(self, name: str) -> str:
        candidate = name.upper()
        try:
            code_validator(candidate)
            if candidate not in self.outlet_codes:
                return candidate
        except ValidationError:
            pass
        n = len(self.outlet_codes) + 1
        while f"O{n:03d}" in self.outlet_codes:
            n += 1
        return f"O{n:03d}"

    # --- parsing --------------------------------------------------------------------------

    def batches(self, rows, header):
        """From PARSE_AHEAD_ROWS rows on, the next batches are read and parsed by a second
        process (imports.ahead) while this one looks up and writes; the parsed rows come
        back as plain tuples (`_wire`): pickling Prepared objects with their datetimes and
        Decimals cost more than parsing them (27 µs a row to read back, against 37 to parse)."""
        if self.table.estimated_rows < PARSE_AHEAD_ROWS or not ahead.available():
            yield from super().batches(rows, header)
            return
        for batch, wired in ahead.read_ahead(rows, header, self.batch_size, self._parse_wired):
            self.preparsed = {t[0]: t for t in wired}
            yield batch

    def _parse_wired(self, rows) -> list[tuple]:
        """In the reading process: each row parsed, as `_wire` sends it."""
        wire, parse = self._wire, self._parse
        return [wire(parse(row)) for row in rows]

    def _parse_batch(self, rows) -> dict[int, Prepared]:
        parse = self._parse
        preparsed, self.preparsed = self.preparsed, {}
        if not preparsed:
            return {row.line: parse(row) for row in rows}
        unwire = self._unwire
        out = {}
        for row in rows:  # a batch replayed row by row is parsed here again
            t = preparsed.get(row.line)
            out[row.line] = parse(row) if t is None else unwire(t)
        return out

    @staticmethod
    def _wire(p: Prepared) -> tuple:
        """A parsed row as plain values (text, numbers, None), cheap to pickle: the times,
        dates and amounts as the insert takes them (`stored`), then the plain values in the
        order of WIRED."""
        if p.problems:
            return (p.line, p.problems)
        v = p.values
        return (p.line, None, p.doc_key, p.ref, p.generated, p.customer, p.existing, p.stored,
                *[v[key] for key in WIRED])

    @staticmethod
    def _unwire(t: tuple) -> Prepared:
        """`_wire` undone: the same Prepared as `_parse` made, with the times, dates and amounts
        only as text (`Prepared.typed()` makes them Python values when they are compared; the
        insert needs only `stored`)."""
        p = Prepared(t[0])
        if t[1] is not None:
            p.problems = t[1]
            return p
        (_line, _problems, p.doc_key, p.ref, p.generated, p.customer, p.existing, p.stored) = t[:8]
        p.values = dict(zip(WIRED, t[8:], strict=True))
        return p

    def _parse(self, row: Row) -> Prepared:
        p = Prepared(row.line)
        problems = p.problems
        cells = row.cells
        n = len(cells)
        got = {}
        for key, i in self.present:
            if i < n:
                value = cells[i]
                if value.__class__ is str:
                    if value:
                        got[key] = value if value.isascii() else text(value)
                elif value is not None:
                    got[key] = value
        cell = got.get
        pos = self.positions

        values = {}
        # identity of the guest
        code = cell("customer_code", "")
        code = clean(code).upper() if code.__class__ is str else text(code).upper()
        card = cell("card_no", "")
        card = clean(card).upper() if card.__class__ is str else text(card).upper()
        name = cell("name", "")
        name = clean(name) if name.__class__ is str else text(name)
        mobile = text(cell("mobile", ""))
        for key, value, limit in (("customer_code", code, 30), ("card_no", card, 30), ("name", name, 100)):
            if value and (len(value) > limit or not plain(value)):
                problems.append((key, _("Not usable here: at most %(limit)d characters, no control characters.")
                                 % {"limit": limit}))
        if not (code or card or mobile or name):
            problems.append(("name" if pos.get("name") is not None else "customer_code",
                             _("The row does not say who the guest is (customer code, card number, mobile or "
                               "name).")))
        # when, how much
        raw = cell("occurred_at", "")
        occurred = None
        if raw != "":
            try:
                occurred = parse_datetime(raw, self.tz)
            except CellError as e:
                problems.append(("occurred_at", str(e)))
        amount = None
        raw = cell("amount", "")
        if raw == "":
            problems.append(("amount", _("The amount is missing.")))
        else:
            try:
                amount = parse_decimal(raw, AMOUNT_DIGITS[1], AMOUNT_DIGITS[0])
            except CellError as e:
                problems.append(("amount", str(e)))
        covers = 1
        raw = cell("covers", "")
        if raw != "":
            try:
                covers = parse_int(raw, 1)
                if covers > MAX_COVERS:
                    raise CellError(_("Enter a number of guests from 1 to 9999."))
            except CellError as e:
                problems.append(("covers", str(e)))
        values["covers"] = covers
        # text fields
        for key in ("doc_no", "table_no", "room_type", "channel"):
            value = cell(key, "")
            value = " ".join(value.split()) if value.__class__ is str else text(value)
            if value and (len(value) > TEXT_LIMITS[key] or not plain(value)):
                problems.append((key, _("Not usable here: at most %(limit)d characters, no control characters.")
                                 % {"limit": TEXT_LIMITS[key]}))
            values[key] = value
        raw = cell("occasion", "")
        occasion = ""
        if raw != "":
            occasion = OCCASIONS.get(choice_key(raw))
            if occasion is None:
                problems.append(("occasion", _("Unknown value; use one of: %(allowed)s.") % {"allowed": OCCASION_HINT}))
                occasion = ""
        raw = cell("served_by", "")
        served_by = None
        if raw != "":
            raw = clean_name(text(raw))
            served_by = self.staff.get(raw.lower()) or self.staff.get(raw)
            if served_by is None:
                problems.append(("served_by", _("No member of staff with this user name or name in this property.")))
        # stays
        arrival = departure = nights = rate = None
        if self.stay:
            arrival = self._date(cell("arrival", ""), "arrival", _("The arrival date is missing."), problems)
            departure = self._date(cell("departure", ""), "departure", _("The departure date is missing."), problems)
            if arrival and departure:
                if departure < arrival:
                    problems.append(("departure", _("The departure cannot be before the arrival.")))
                elif (departure - arrival).days > MAX_NIGHTS:
                    problems.append(("departure", _("A stay of more than a year is not possible.")))
                else:
                    nights = (departure - arrival).days
            raw = cell("rate", "")
            if raw != "":
                try:
                    rate = parse_decimal(raw, RATE_DIGITS[1], RATE_DIGITS[0])
                    if rate < 0:
                        raise CellError(_("A room rate cannot be negative."))
                except CellError as e:
                    problems.append(("rate", str(e)))
            if occurred is None and departure is not None and "occurred_at" not in dict(problems):
                # no bill date: the stay is dated by its check-out, at noon local time
                occurred = dt.datetime.combine(departure, dt.time(12), tzinfo=self.tz)
            occasion = occasion or Visit.Occasion.STAY
        elif occurred is None and not any(k == "occurred_at" for k, _m in problems):
            problems.append(("occurred_at", _("The date is missing.")))
        if occurred is not None:
            day = occurred.astimezone(self.tz).date()
            if not EARLIEST <= day <= self.latest:
                problems.append(("occurred_at", _("Enter a date between 2000 and today.")))
        outlet_text = cell("outlet", "")
        outlet_text = outlet_text if outlet_text.__class__ is str else text(outlet_text)
        if problems:
            return p
        values.update(occurred_at=occurred, amount=amount, occasion=occasion, served_by_id=served_by,
                      arrival=arrival, departure=departure, nights=nights, rate=rate)
        if not values["doc_no"]:
            content = "\x1f".join(str(v) for v in (
                code, card, name, mobile, occurred.isoformat(), amount, covers, clean_name(outlet_text).casefold(),
                values["table_no"], occasion, served_by or "", arrival or "", departure or "", values["room_type"],
                "" if rate is None else rate, values["channel"]))
            p.doc_key = "#" + hashlib.sha1(content.encode()).hexdigest()
        else:
            p.doc_key = values["doc_no"]
        p.ref = values["doc_no"] or code or card or name
        p.values = values
        # what the look-ups and the insert need, worked out once per row here
        if mobile:
            fast = mobile if MOBILE_RE.fullmatch(mobile) else None
            if fast is None:
                try:
                    fast = normalize_mobile(mobile)
                except ValidationError:
                    fast = ""
        else:
            fast = ""
        p.customer = (code, card, fast, name, mobile)  # the mobile normalised ("" if unusable), and as written
        if name:
            p.generated = self._generated_code(name, fast)
        p.existing = (outlet_text, self._outlet_key(outlet_text)) if outlet_text else None  # resolved in start_batch
        # SQLite: as core.db.insert_rows would prepare them (it is then told they are); PostgreSQL:
        # ISO text that COPY passes to the server's own parser (psycopg dumps no datetime or Decimal)
        p.stored = (sqlite_datetime(occurred) if self.sqlite else occurred.isoformat(), str(amount),
                    arrival and arrival.isoformat(), departure and departure.isoformat(),
                    None if rate is None else str(rate))
        return p

    def _date(self, raw, key, missing, problems):
        if raw == "":
            problems.append((key, missing))
            return None
        try:
            day = parse_date(raw, True)
        except CellError as e:
            problems.append((key, str(e)))
            return None
        if not EARLIEST <= day <= timezone.localdate() + dt.timedelta(days=366):
            problems.append((key, _("Enter a date between 2000 and next year.")))
            return None
        return day

    # --- looking up -----------------------------------------------------------------------

    def start_batch(self, rows):
        self.queue = []
        self.batch_outlets = []
        self.written_customers = []
        self.pending: dict[tuple, Customer] = {}  # new guest files of this batch, by code/card/mobile/name
        if len(self.seen) > CACHE_LIMIT:  # keep the most recent half: memory stays flat on huge files
            self.seen = dict(list(self.seen.items())[CACHE_LIMIT // 2:])
        self.prepared = prepared = self._parse_batch(rows)
        good = [p for p in prepared.values() if not p.problems]
        # outlets (created on first sight unless fixed)
        outlets = self.outlets
        for p in good:
            outlet_text = p.existing
            p.existing = None
            if outlet_text:
                outlet = outlets.get(outlet_text[1]) or self._outlet(outlet_text[0], p.problems)
                p.values["outlet_id"] = outlet.pk if outlet else None
            else:
                p.values["outlet_id"] = self.rooms_outlet.pk if (self.stay and self.rooms_outlet) else None
        good = [p for p in good if not p.problems]
        # documents already stored
        keys = list({p.doc_key for p in good})
        existing = {}
        if keys and not self._stored_between(keys):
            keys = []  # none stored in the batch's range of keys (a new export): nothing to look up
        for i in range(0, len(keys), 5000):
            # no ORDER BY (the model's ordering would make SQLite walk the property's visits
            # by date instead of looking the keys up in the (property, doc_key) index)
            ids = [pk for pk, in _select_in("SELECT id FROM {table} WHERE property_id = %s AND doc_key IN ({marks})",
                                            Visit, [self.property.pk], keys[i:i + 5000])]
            if ids:
                for values in Visit.objects.filter(id__in=ids).order_by().values(*EXISTING_FIELDS):
                    existing[values["doc_key"]] = values
        self._find_customers(good)
        for p in good:
            self._decide(p, existing.get(p.doc_key))

    def _stored_between(self, keys: list[str]) -> bool:
        """Whether the property has a visit whose key lies between the least and the greatest
        of `keys`, in the database's own order (collation) of the (property, doc_key) index:
        one index look-up. A new export's document numbers usually follow the stored ones, so
        its batches skip the look-up of every key (PostgreSQL: ~0.7 s per 100,000 rows).
        SQLite compares text by its UTF-8 bytes (BINARY), which is Python's order of str."""
        table = connection.ops.quote_name(Visit._meta.db_table)
        with connection.cursor() as cursor:
            if self.sqlite:
                cursor.execute(f"SELECT 1 FROM {table} WHERE property_id = %s AND doc_key BETWEEN %s AND %s LIMIT 1",
                               [self.property.pk, min(keys), max(keys)])
                return cursor.fetchone() is not None
            cursor.execute(f"SELECT 1 FROM {table} WHERE property_id = %s AND doc_key >= (SELECT MIN(k) FROM "
                           f"unnest(%s::text[]) AS k) AND doc_key <= (SELECT MAX(k) FROM unnest(%s::text[]) AS k) "
                           f"LIMIT 1", [self.property.pk, keys, keys])
            return cursor.fetchone() is not None

    def _find_customers(self, good: list[Prepared]) -> None:
        known = self.known
        if len(known) > CACHE_LIMIT:
            known.clear()
        wanted = {"customer_code": set(), "card_no": set(), "mobile": set(), "name": set()}
        for p in good:
            code, card, mobile, name, _raw = p.customer
            for kind, value in zip(("customer_code", "card_no", "mobile"), (code, card, mobile), strict=True):
                if value and (kind, value) not in known:
                    wanted[kind].add(value)
            if not code and name:
                generated = p.generated
                if ("customer_code", generated) not in known:
                    wanted["customer_code"].add(generated)
        base = Customer.objects.filter(property=self.property).order_by()
        for kind in ("customer_code", "card_no", "mobile"):
            values = list(wanted[kind])
            for i in range(0, len(values), 2000):
                chunk = values[i:i + 2000]
                found: dict[str, list[int]] = {}
                for value, pk in _select_in(f"SELECT {kind}, id FROM {{table}} WHERE property_id = %s "
                                            f"AND {kind} IN ({{marks}})", Customer, [self.property.pk], chunk):
                    found.setdefault(value, []).append(pk)
                for value in chunk:
                    ids = found.get(value, [])
                    known[(kind, value)] = ids[0] if len(ids) == 1 else (None if ids else 0)
        # exact names, for the rows that nothing else identifies
        names = set()
        for p in good:
            code, card, mobile, name, _raw = p.customer
            if name and not any(v and known.get((k, v)) is not None and known.get((k, v)) != 0 for k, v in
                                (("customer_code", code), ("card_no", card), ("mobile", mobile))):
                if ("name", name) not in known:
                    names.add(name)
        names = list(names)
        for i in range(0, len(names), 2000):
            chunk = names[i:i + 2000]
            found = {n: (c, pk) for n, c, pk in base.filter(name__in=chunk).values("name")
                     .annotate(c=Count("id"), pk=Min("id")).values_list("name", "c", "pk")}
            for value in chunk:
                c, pk = found.get(value, (0, 0))
                known[("name", value)] = pk if c == 1 else (None if c else 0)

    @staticmethod
    def _generated_code(name: str, mobile: str) -> str:
        return "G" + hashlib.sha1(f"{name}|{mobile}".encode()).hexdigest()[:12].upper()

    def _customer(self, p: Prepared, pending: dict):
        """The customer id of the row, a new Customer to create, or None (problems added)."""
        code, card, mobile, name, raw_mobile = p.customer
        known = self.known
        for kind, value in (("customer_code", code), ("card_no", card), ("mobile", mobile)):
            if not value:
                continue
            pk = known.get((kind, value), 0)
            if pk:
                return pk
            if pk is None and kind != "customer_code":
                p.problems.append((kind, _("Several guest files have this %(what)s; add the customer code to say "
                                           "which.") % {"what": _("card number") if kind == "card_no"
                                                        else _("mobile")}))
                return None
            new = pending.get((kind, value))
            if new is not None:
                return new
        if name:
            if not (code or card or raw_mobile):
                # the name alone identifies a guest only when the row names nothing else: a row
                # with a mobile (or card, or code) that no file has is another guest of that name
                pk = known.get(("name", name), 0)
                if pk:
                    return pk
            generated = code or p.generated
            pk = known.get(("customer_code", generated), 0)
            if pk:
                return pk
            new = pending.get(("customer_code", generated))
            if new is not None:
                return new
            new = pending.get(("name", name)) if not (code or card or raw_mobile) else None
            if new is not None:
                return new
        # a new guest file
        if not name:
            p.problems.append(("name" if "name" in self.header.index else "customer_code",
                               _("No guest file matches, and the row has no name to open a new one.")))
            return None
        if not self.may_create:
            p.problems.append(("customer_code" if code else "name",
                               _("No guest file matches, and you may not open new files in this property.")))
            return None
        if raw_mobile and not mobile:
            p.problems.append(("mobile", _("No guest file matches, and this is not a valid mobile number for a "
                                           "new file.")))
            return None
        customer = Customer(property=self.property, customer_code=code or p.generated,
                            name=name, mobile=mobile, card_no=card)
        from yingke.customers.bulk import check_new

        errors = check_new(self.actor, customer)
        if errors:
            field_to_key = {"customer_code": "customer_code", "name": "name", "mobile": "mobile",
                            "card_no": "card_no"}
            p.problems.extend((field_to_key.get(f, "name"), m) for f, m in errors)
            return None
        for kind, value in (("customer_code", customer.customer_code), ("card_no", card), ("mobile", mobile),
                            ("name", name)):
            if value:
                pending.setdefault((kind, value), customer)
        return customer

    def _decide(self, p: Prepared, stored: dict | None) -> None:
        first = self.seen.get(p.doc_key)
        if first is not None:
            p.problems.append(("doc_no" if p.values["doc_no"] else "occurred_at",
                               _("The same document is already on line %(line)d of this file.") % {"line": first}))
            return
        if stored is not None and self.run is not None and stored["import_run_id"] == self.run.pk:
            p.problems.append(("doc_no" if p.values["doc_no"] else "occurred_at",
                               _("The same document is already on an earlier line of this file.")))
            return
        customer = self._customer(p, self.pending)
        if customer is None:
            return
        values = p.values
        if stored is None:
            p.outcome = CREATED
            p.customer = customer
        else:
            p.existing = stored
            if not isinstance(customer, int):
                code, card, _mobile, _name, raw_mobile = p.customer
                if code or card or raw_mobile:
                    # the row names a guest that has no file: moving the document to a new file
                    # would be a guess; the user says which file it belongs to
                    p.problems.append(("customer_code" if code else ("card_no" if card else "mobile"),
                                       _("This document is stored on another guest's file, and no file matches "
                                         "the guest this row names; correct the customer code, or void the "
                                         "visit and import it again.")))
                    return
                customer = stored["customer_id"]  # a name only: the stored guest stays
            p.customer = customer
            values = p.typed()
            values["customer_id"] = customer
            index = self.header.index
            changes = {f: values[f] for f, key in COMPARED
                       if (key is None or key in index) and values.get(f) != stored[f]}
            if stored["voided_at"] is not None and changes:
                p.problems.append(("doc_no" if values["doc_no"] else "occurred_at", self._voided_reason(stored)))
                return
            # a different guest file found by code, card or mobile: the visit moves there (in its
            # history; both files' profiles are refreshed with the batch)
            p.changes = changes
            p.outcome = UPDATED if changes else UNCHANGED
        self.seen[p.doc_key] = p.line

    def _voided_reason(self, stored: dict) -> str:
        user = User.objects.filter(pk=stored["voided_by_id"]).first() if stored["voided_by_id"] else None
        who = (user.display_name or user.username) if user else _("the system")
        when = stored["voided_at"].astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        return (_("This document was voided on %(when)s by %(who)s; it is not changed by an import.")
                % {"when": when, "who": who})

    # --- per row ------------------------------------------------------------------------

    def process_row(self, row: Row) -> Result:
        p = self.prepared[row.line]
        if p.problems:
            raise RowRejected(p.problems)
        self.queue.append(p)
        return Result(row.line, p.outcome, p.ref)

    # --- writing ------------------------------------------------------------------------

    def end_batch(self) -> None:
        queue, self.queue = self.queue, []
        self.written_customers = []  # what this call writes (forget_batch undoes only that)
        if not queue:
            return
        new_customers = []
        for p in queue:
            c = p.customer
            if not isinstance(c, int) and c.pk is None and not getattr(c, "_queued", False):
                c._queued = True
                new_customers.append(c)
        if new_customers:
            from yingke.customers.bulk import create_many

            create_many(self.actor, new_customers, reason=self.reason, import_run=self.run)
            self.written_customers.extend(new_customers)
            for c in new_customers:
                c._queued = False
                for kind, value in (("customer_code", c.customer_code), ("card_no", c.card_no),
                                    ("mobile", c.mobile), ("name", c.name)):
                    if value and kind != "name":
                        self.known[(kind, value)] = c.pk
        created = [p for p in queue if p.outcome == CREATED]
        if created:
            self._insert(created)
            if not self.sqlite and self.inserted >= self.analyze_at:
                # PostgreSQL plans the next batches' document look-ups from the table's statistics:
                # taken while it was (nearly) empty, it scanned the whole table per look-up (~90 ms a
                # batch at 200,000 visits, growing) instead of using the index (~10 ms). Refreshed when
                # the run has written 10,000, 40,000, 160,000 … visits.
                refresh_statistics([Visit])
                self.analyze_at = self.inserted * 4
        for p in queue:
            if p.outcome == UPDATED:
                self._correct(p)
        self._refresh()

    def _refresh(self) -> None:
        """Profiles (R-2.3). A file gets visits in many batches of one file, so new visits are
        refreshed once, by `finish()` (refreshing per batch made imports 2–4× slower); a
        run that fails or is interrupted has its files refreshed by the engine
        (`engine.refresh_run_profiles`). Corrections, which may move a visit between files,
        are refreshed in their batch's transaction. Nothing in a dry run (rolled back)."""
        touched, self.touched = self.touched, set()
        self.to_refresh |= touched
        corrected, self.corrected = self.corrected, set()
        if corrected and refresh_profiles is not None and not getattr(self.run, "dry_run", False):
            refresh_profiles(sorted(corrected))

    def _insert(self, created: list[Prepared]) -> None:
        """New visits in one COPY / executemany. Their creation is recorded by the import run
        (who, when, which file and its SHA-256) that each visit names; a "+" history record
        is written when one is first corrected (`_correct`), so a 1,000,000-row import does
        not write 1,000,000 history rows."""
        # in the order of the (customer, time) index: the B-tree pages each insert touches are
        # then mostly the ones the previous insert touched (measured: a third faster on SQLite)
        created.sort(key=lambda p: (p.customer if p.customer.__class__ is int else p.customer.pk, p.stored[0]))
        self.inserted += len(created)
        self.wrote = True
        now = timezone.now()
        run_id = self.run.pk if self.run is not None else None
        prop = self.property.pk
        user = self.user_id
        touched = self.touched
        if not self.sqlite:
            rows = []
            for p in created:
                v = p.values
                customer = p.customer if p.customer.__class__ is int else p.customer.pk
                touched.add(customer)
                occurred, amount, arrival, departure, rate = p.stored
                rows.append((prop, v["outlet_id"], customer, occurred, amount, v["covers"], v["table_no"],
                             v["occasion"], v["doc_no"], p.doc_key, v["served_by_id"], arrival, departure,
                             v["nights"], v["room_type"], rate, v["channel"], "", run_id, user, now))
            # ids from the column's sequence, in the database: asking for 10,000 nextval()s and
            # sending them back cost ~5 µs a visit
            insert_rows(Visit, INSERT_FIELDS[1:], rows)
            return
        # SQLite: the values already as it stores them (Prepared.stored), ids above the highest
        now = sqlite_datetime(now)
        rows = []
        for pk, p in zip(reserve_ids(Visit, len(created)), created, strict=True):
            v = p.values
            customer = p.customer if p.customer.__class__ is int else p.customer.pk
            touched.add(customer)
            occurred, amount, arrival, departure, rate = p.stored
            rows.append((pk, prop, v["outlet_id"], customer, occurred, amount, v["covers"], v["table_no"],
                         v["occasion"], v["doc_no"], p.doc_key, v["served_by_id"], arrival, departure, v["nights"],
                         v["room_type"], rate, v["channel"], "", run_id, user, now))
        insert_rows(Visit, INSERT_FIELDS, rows, prepared=True)

    def _correct(self, p: Prepared) -> None:
        """A correction: saved with a "~" history record naming this import; the stored state
        gets its "+" record first when it has none (a visit created by a bulk import)."""
        visit = Visit.objects.select_related("import_run").get(pk=p.existing["id"])
        if not visit.history.exists():
            run = visit.import_run
            created = Visit(**{f.attname: getattr(visit, f.attname) for f in Visit._meta.concrete_fields})
            created._history_date = visit.created_at
            created._history_user = visit.created_by
            created._change_reason = (f"import #{run.pk} {run.file_name}" if run else "import")[:HISTORY_REASON_MAX]
            Visit.history.bulk_history_create([created])
        self.corrected.add(visit.customer_id)
        for f, value in p.changes.items():
            setattr(visit, f, value)
        if self.run is not None:
            visit.import_run = self.run
        visit._history_user = self.user
        visit._change_reason = self.reason
        visit.save()
        self.wrote = True
        self.corrected.add(visit.customer_id)

    def forget_batch(self, rows):
        super().forget_batch(rows)
        self.queue = []
        self.touched, self.corrected = set(), set()  # rolled back: the replayed rows touch them again
        whole_batch = {r.line for r in rows} >= set(self.prepared)
        # outlets are created by start_batch: rolled back with the whole batch, not with one
        # replayed row (start_batch runs outside the rows' savepoints)
        for key in (self.batch_outlets if whole_batch else []):
            outlet = self.outlets.pop(key, None)
            if outlet is not None:
                self.outlets.pop(self._outlet_key(outlet.code), None)
                self.outlet_codes.discard(outlet.code.upper())
                if outlet.name in self.new_outlets:
                    self.new_outlets.remove(outlet.name)
        if whole_batch:
            self.batch_outlets = []
        for c in self.written_customers:
            for kind, value in (("customer_code", c.customer_code), ("card_no", c.card_no), ("mobile", c.mobile)):
                if value and self.known.get((kind, value)) == c.pk:
                    del self.known[(kind, value)]
            c.pk = c.id = None
            c._queued = False
        self.written_customers = []

    def finish(self) -> None:
        """The profiles of every file the run wrote visits to, in one set-based pass."""
        pending, self.to_refresh = self.to_refresh, set()
        dry_run = getattr(self.run, "dry_run", False)
        if pending and refresh_profiles is not None and not dry_run:
            if self.inserted >= ANALYZE_AFTER:
                # the planner's statistics of a table that just grew by this much are stale: with the
                # visits table's (taken when it was empty), PostgreSQL's plan for the profile queries
                # took ~1 s per 2,000 files instead of ~0.1 s
                refresh_statistics([Visit])
            refresh_profiles(sorted(pending))
        if self.wrote and not dry_run:
            # once per run, in the transaction of its last step (the report aggregates listen)
            visits_changed.send(sender=Visit, property_id=self.property.pk, times=None)
            self.wrote = False


def announce_runs(run_ids) -> int:
    """visits_changed once per property whose visits these import runs wrote: for runs that
    did not finish (failed, interrupted, found dead), whose committed batches stay; call it
    where their profiles are refreshed (`engine.refresh_run_profiles`), in that transaction.
    Returns the number of signals sent."""
    properties = sorted(set(Visit.objects.filter(import_run_id__in=list(run_ids)).order_by()
                            .values_list("property_id", flat=True).distinct()))
    for property_id in properties:
        visits_changed.send(sender=Visit, property_id=property_id, times=None)
    return len(properties)


class StayImporter(VisitImporter):
    kind = "stays"
    columns = STAY_COLUMNS
    stay = True

