"""Cell parsers shared by the imports. Each returns the parsed value or raises CellError
with a reason for the user; none of them guesses silently (03/05/1980 is refused).
"""

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

EXCEL_EPOCH = dt.date(1899, 12, 30)
DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
COMPACT_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")
TIME_RE = re.compile(r"(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2})(?:\.\d+)?)?\s*秒?")
MONEY_NOISE = re.compile(r"[\s,，¥￥$]|元|rmb|cny", re.IGNORECASE)


class CellError(ValueError):
    """A cell that cannot be read; str(e) is the reason shown to the user."""


def text(cell) -> str:
    if isinstance(cell, (dt.datetime, dt.date, dt.time)):
        return cell.isoformat(sep=" ") if isinstance(cell, dt.datetime) else cell.isoformat()
    return unicodedata.normalize("NFKC", str(cell or "")).strip() if cell else ""


def choice_key(value) -> str:
    return re.sub(r"[\s_\-.]+", "", text(value).lower())


def parse_choice(cell, mapping: dict, allowed_hint: str):
    """mapping: normalised spelling → value. Unknown spellings are refused."""
    value = mapping.get(choice_key(cell))
    if value is None:
        raise CellError(_("Unknown value; use one of: %(allowed)s.") % {"allowed": allowed_hint})
    return value


def choices(pairs: dict) -> dict:
    """{value: (spelling, …)} → {normalised spelling: value}."""
    return {choice_key(s): value for value, spellings in pairs.items() for s in (value, *spellings)}


def parse_date(cell, serial_ok: bool = False) -> dt.date:
    """2026-11-03, 2026/11/3, 2026.11.3, 2026年11月3日, 20261103, with or without a time;
    spreadsheet date cells; Excel serial numbers when `serial_ok` (spreadsheets only)."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    s = text(cell)
    m = DATE_RE.match(s) or COMPACT_DATE_RE.fullmatch(s)
    if m is None and serial_ok and re.fullmatch(r"\d{4,5}(\.0+)?", s):
        return EXCEL_EPOCH + dt.timedelta(days=int(float(s)))
    if m is None or (m.re is DATE_RE and s[m.end():].strip() and not TIME_RE.fullmatch(s[m.end():].strip())):
        raise CellError(_("Not a date; write it as 2026-11-03 or 2026/11/3."))
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise CellError(_("This date does not exist.")) from None


def parse_datetime(cell, tz=None) -> dt.datetime:
    """'2026/11/3 19:30' → aware datetime in `tz` (default: the current time zone)."""
    tz = tz or timezone.get_current_timezone()
    if isinstance(cell, dt.datetime):
        value = cell
    elif isinstance(cell, dt.date):
        value = dt.datetime.combine(cell, dt.time())
    else:
        s = text(cell)
        m = DATE_RE.match(s)
        if m is None:
            raise CellError(_("Not a date and time; write it as 2026-11-03 19:30."))
        rest = s[m.end():].strip().lstrip("T").strip()
        t = TIME_RE.fullmatch(rest) if rest else None
        if rest and t is None:
            raise CellError(_("Not a date and time; write it as 2026-11-03 19:30."))
        try:
            value = dt.datetime(int(m[1]), int(m[2]), int(m[3]),
                                int(t[1]) if t else 0, int(t[2]) if t else 0, int(t[3] or 0) if t else 0)
        except ValueError:
            raise CellError(_("This date or time does not exist.")) from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, tz)
    return value


def parse_decimal(cell, places: int = 2) -> Decimal:
    """'¥1,234.50', '1234.5元', '-12' → Decimal; more than `places` decimals is refused."""
    s = MONEY_NOISE.sub("", text(cell))
    try:
        value = Decimal(s)
    except InvalidOperation:
        raise CellError(_("Not an amount; write it as 1234.50.")) from None
    if not value.is_finite():
        raise CellError(_("Not an amount; write it as 1234.50."))
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise CellError(_("At most %(places)d decimal places.") % {"places": places})
    return value.quantize(Decimal(1).scaleb(-places))


def parse_int(cell, minimum: int | None = None) -> int:
    s = text(cell)
    if re.fullmatch(r"[+-]?\d+(\.0+)?", s) is None:
        raise CellError(_("Not a whole number."))
    value = int(float(s)) if "." in s else int(s)
    if minimum is not None and value < minimum:
        raise CellError(_("Must be at least %(minimum)d.") % {"minimum": minimum})
    return value


def split_list(cell) -> list[str]:
    """'VIP，常客; 素食' → ['VIP', '常客', '素食']."""
    return [p.strip() for p in re.split(r"[,，;；、|/\n]+", text(cell)) if p.strip()]
