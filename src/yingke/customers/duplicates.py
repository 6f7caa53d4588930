"""Likely duplicate files (R-2.8): pairs of files of one property that may be one guest.

Reasons (a pair may have several):
  mobile          – the same mobile number (normalised, so "138 1234 5678" = "13812345678");
  id_number       – the same ID number (compared by its blind index; the number is never read);
  name_birth      – the same name and date of birth;
  name_employer   – the same name and employer;
  pinyin_employer – a different name that sounds alike, and the same employer.

"Sounds alike" is one set-based key, not an edit distance: the primary pinyin with the
confusions that make one name written two ways folded together — zh/z, ch/c, sh/s
(retroflex), -ng/-n (nasal endings), l/n — so 张三 (zhangsan), 章三 (zhangsan) and 张珊
(zhangshan) share the key "zansan". An edit distance of 1 on pinyin cannot be joined on in
SQL without a table of deletion variants and would mostly pair different people
(zhangwei/zhangwen: 张伟/张文); the fold is a plain expression both databases join on, and
it pairs exactly the spellings that staff and guests confuse. Homophones (同音字) already
have the same pinyin.

Everything is SQL: the visible files are read once into a materialised table, joined with
itself once per reason (same property, same kind, a.id < b.id), combined with UNION ALL and
grouped into one row per pair with a bit mask of its reasons; one query per page view. Pairs someone dismissed (DuplicateDismissal) are left out, and both files
must pass the row rule (core.permissions.row_rule): a pair is shown only to a user who may
see both files, so the list never hints at a file the user may not open (R-1.2).
"""

from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.utils.translation import gettext_lazy as _

from yingke.core import permissions
from yingke.customers.models import Customer, DuplicateDismissal

REASONS = {
    "mobile": (1, _("Same mobile")),
    "id_number": (2, _("Same ID number")),
    "name_birth": (4, _("Same name and date of birth")),
    "name_employer": (8, _("Same name and employer")),
    "pinyin_employer": (16, _("Similar pinyin and same employer")),
}


def fold_sql(column: str) -> str:
    """The "sounds alike" key of a pinyin column, as SQL (both databases)."""
    expr = column
    for old, new in (("zh", "z"), ("ch", "c"), ("sh", "s"), ("ng", "n"), ("l", "n")):
        expr = f"REPLACE({expr}, '{old}', '{new}')"
    return expr


def fold(pinyin: str) -> str:
    """The same key in Python (tests, and to explain a pair)."""
    for old, new in (("zh", "z"), ("ch", "c"), ("sh", "s"), ("ng", "n"), ("l", "n")):
        pinyin = pinyin.replace(old, new)
    return pinyin


def _q(name):
    return connection.ops.quote_name(name)


# The columns of the visible files that the reasons compare, and the join condition of
# each reason on them (`a` is the lower id).
COLUMNS = ["id", "property", "kind", "name", "name_pinyin", "birth_date", "employer", "mobile", "id_number_hash"]


def reasons_shown(user) -> dict:
    """The reasons `user` may be told (R-12.1): "Same ID number" only to the roles that see
    ID numbers beyond the last four characters (permissions.sees_id_region). For the front
    desk and the supervisor, who see IDs masked to the last four, it would confirm a
    guessed ID number; pairs found only by it are not listed to them."""
    if permissions.sees_id_region(user):
        return REASONS
    return {code: value for code, value in REASONS.items() if code != "id_number"}


def _branches(user) -> list[tuple[int, str]]:
    shown = reasons_shown(user)
    return [(bit, condition) for bit, condition in [
        (REASONS["mobile"][0], "b.mobile = a.mobile AND a.mobile <> ''"),
        (REASONS["id_number"][0], "b.id_number_hash = a.id_number_hash AND a.id_number_hash <> ''"),
        (REASONS["name_birth"][0], "b.name = a.name AND b.birth_date = a.birth_date AND a.birth_date IS NOT NULL"),
        (REASONS["name_employer"][0], "b.name = a.name AND b.employer = a.employer AND a.employer <> ''"),
        (REASONS["pinyin_employer"][0],
         "b.employer = a.employer AND a.employer <> '' AND b.sounds = a.sounds AND a.name_pinyin <> '' "
         "AND b.name <> a.name"),
    ] if any(bit == b for b, _label in shown.values())]


CAP = 5_000  # pairs read at most: the newest first; more is a data clean-up, not a list to page through


@dataclass
class Pair:
    a: Customer
    b: Customer
    mask: int
    reasons: list = field(default_factory=list)  # [(code, label)]

    @property
    def files(self):
        return (self.a, self.b)


class CandidatePairs:
    """The candidate pairs a user may see (optionally of one property, of one reason),
    newest file first. Sliced by the database (LIMIT/OFFSET), so that Django's Paginator
    and the API page through it without reading every pair.

    The files the user may see are read once into a materialised common table `v` (the
    row rule applied once, with the sounds-alike key computed once); each reason joins `v`
    with itself on its columns, which SQLite serves with a transient index and PostgreSQL
    with a hash join. Joining the table itself on its indexes walked every file with a
    common name (张伟) for every other: 3–5 s per reason at 100,000 files on SQLite, against
    ~0.5 s for all five this way (measured on `yingke demo --customers 100000`).
    """

    def __init__(self, user, *, property=None, reason: str | None = None, only=None):
        self.user, self.reason = user, reason
        visible = Customer.objects.visible_to(user)
        if property is not None:
            visible = visible.filter(property=property)
        if only is not None:
            visible = visible.filter(pk__in=only)
        try:
            self._visible = visible.values("pk").query.sql_with_params()
        except EmptyResultSet:  # the rule lets this user see no file at all
            self._visible = None
        self._rows = None
        self.capped = False  # more than CAP pairs: the newest CAP are listed and counted

    def _with(self) -> tuple[str, list]:
        """WITH v AS MATERIALIZED (the visible files' compared columns)."""
        table = _q(Customer._meta.db_table)
        cols = []
        for name in COLUMNS:
            f = Customer._meta.pk if name == "id" else Customer._meta.get_field(name)
            cols.append(f"{_q(f.column)} AS {name}")
        cols.append(f"{fold_sql(_q(Customer._meta.get_field('name_pinyin').column))} AS sounds")
        vis_sql, vis_params = self._visible
        pk = _q(Customer._meta.pk.column)
        return (f"WITH v AS MATERIALIZED (SELECT {', '.join(cols)} FROM {table} WHERE {pk} IN ({vis_sql}))",
                list(vis_params))

    def _union(self) -> str:
        parts = [f"SELECT a.id AS a_id, b.id AS b_id, {bit} AS reason FROM v a INNER JOIN v b "
                 f"ON b.property = a.property AND b.kind = a.kind AND b.id > a.id AND {condition}"
                 for bit, condition in _branches(self.user)]
        dismissed = _q(DuplicateDismissal._meta.db_table)
        da = _q(DuplicateDismissal._meta.get_field("customer_a").column)
        db = _q(DuplicateDismissal._meta.get_field("customer_b").column)
        return (f"SELECT p.a_id, p.b_id, p.reason FROM ({' UNION ALL '.join(parts)}) p "
                f"WHERE NOT EXISTS (SELECT 1 FROM {dismissed} d WHERE d.{da} = p.a_id AND d.{db} = p.b_id)")

    def _grouped(self) -> str:
        return f"SELECT u.a_id, u.b_id, SUM(u.reason) AS mask FROM ({self._union()}) u GROUP BY u.a_id, u.b_id"

    def _run(self, select: str, params=()) -> list:
        """Run `select` (reading the grouped pairs as g) after the WITH clause."""
        with_sql, with_params = self._with()
        with connection.cursor() as cursor:
            cursor.execute(f"{with_sql} {select.format(g=f'({self._grouped()}) g')}", [*with_params, *params])
            return cursor.fetchall()

    def rows(self) -> list[tuple[int, int, int]]:
        """Every pair (a id, b id, reason mask), newest first, at most CAP — one query,
        whatever is then counted, filtered or paged (each reading of the pairs costs the
        same five joins)."""
        if self._rows is None:
            if self._visible is None:
                self._rows = []
            else:
                rows = self._run("SELECT g.a_id, g.b_id, g.mask FROM {g} ORDER BY g.b_id DESC, g.a_id DESC "
                                 "LIMIT %s", [CAP + 1])
                self.capped = len(rows) > CAP
                self._rows = [(a, b, int(m)) for a, b, m in rows[:CAP]]
        return self._rows

    def _selected(self):
        if not self.reason:
            return self.rows()
        if self.reason not in reasons_shown(self.user):
            return []
        bit = REASONS[self.reason][0]
        return [r for r in self.rows() if r[2] & bit]

    def count(self) -> int:
        return len(self._selected())

    def __len__(self):
        return self.count()

    def counts_by_reason(self) -> dict[str, int]:
        """{reason code: number of pairs with that reason} (all reasons, whatever the filter)."""
        rows = self.rows()
        return {code: sum(1 for r in rows if r[2] & bit) for code, (bit, _l) in REASONS.items()}

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index:index + 1][0]
        return hydrate(self._selected()[index])


def hydrate(rows) -> list[Pair]:
    ids = {i for a, b, _m in rows for i in (a, b)}
    files = Customer.objects.filter(pk__in=ids).select_related("property", "owner").in_bulk()
    out = []
    for a, b, mask in rows:
        if a in files and b in files:
            out.append(Pair(files[a], files[b], int(mask), reason_labels(int(mask))))
    return out


def reason_labels(mask: int) -> list[tuple[str, str]]:
    return [(code, label) for code, (bit, label) in REASONS.items() if mask & bit]


def candidate_pairs(user, *, property=None, reason=None) -> CandidatePairs:
    return CandidatePairs(user, property=property, reason=reason)


def reasons_for(user, a: Customer, b: Customer) -> list[tuple[str, str]]:
    """Why these two files look alike (for the merge screen); [] when they do not."""
    pairs = CandidatePairs(user, property=a.property, only=[a.pk, b.pk])
    if pairs._visible is None:
        return []
    rows = pairs._run("SELECT g.mask FROM {g}")
    return reason_labels(int(rows[0][0])) if rows else []


def dismiss(actor, a: Customer, b: Customer) -> DuplicateDismissal:
    """Record that two files are different guests; the pair is not proposed again.

    Deciding that is the other side of merging: only a user who may edit both files (and
    so could merge them) may dismiss the pair (NotVisible / PermissionDenied otherwise).
    """
    from django.core.exceptions import ValidationError

    permissions.require(actor, permissions.EDIT, a)
    permissions.require(actor, permissions.EDIT, b)
    if a.pk == b.pk:
        raise ValidationError({"b": [_("Choose two different files.")]})
    if a.property_id != b.property_id:
        raise ValidationError({"b": [_("The two files belong to different properties.")]})
    lo, hi = sorted((a.pk, b.pk))
    dismissal, _created = DuplicateDismissal.objects.get_or_create(
        customer_a_id=lo, customer_b_id=hi, defaults={"dismissed_by": permissions.history_user(actor)})
    return dismissal
