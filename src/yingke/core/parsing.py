"""Cell parsers shared by the imports. Each returns the parsed value or raises CellError
with a reason for the user; none of them guesses silently (03/05/1980 is refused).
"""

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

EXCEL_EPOCH = dt.date(1899, 12, 30)
DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
COMPACT_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")
TIME_RE = re.compile(r"(\d{1,2})\s*[:：时点]\s*(\d{1,2})(?:\s*[:：分]\s*(?:(\d{1,2})(?:\.\d+)?\s*秒?)?)?")
INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")
MONEY_NOISE = re.compile(r"[\s¥￥$]|元|rmb|cny", re.IGNORECASE)
AMOUNT_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
PLAIN_AMOUNT_RE = re.compile(r"-?\d{1,15}(?:\.\d{1,2})?")
GROUPED_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
QUANTA = {n: Decimal(1).scaleb(-n) for n in range(0, 7)}
CENT = QUANTA[2]
FAST_DATETIME_RE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?")
SERIAL_RE = re.compile(r"\d{1,5}(?:\.\d+)?")
EXCEL_MIN, EXCEL_MAX = 61, 109575  # 1900-03-01 … 2199-12-31


class CellError(ValueError):
    """A cell that cannot be read; str(e) is the reason shown to the user."""


def text(cell) -> str:
    if isinstance(cell, (dt.datetime, dt.date, dt.time)):
        return cell.isoformat(sep=" ") if isinstance(cell, dt.datetime) else cell.isoformat()
    if not cell:
        return ""
    s = str(cell)
    if s.isascii():
        return s.strip()
    # NFKC: full-width digits and letters, ideographic spaces; zero-width characters and
    # stray byte-order marks are invisible in every editor, so they are dropped
    return INVISIBLE.sub("", unicodedata.normalize("NFKC", s)).strip()


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
    """A date (see `_parse_date`); the only exception raised is CellError."""
    try:
        return _parse_date(cell, serial_ok)
    except CellError:
        raise
    except (ArithmeticError, ValueError):
        raise CellError(_("Not a date; write it as 2026-11-03 or 2026/11/3.")) from None


def _parse_date(cell, serial_ok: bool = False) -> dt.date:
    """2026-11-03, 2026/11/3, 2026.11.3, 2026年11月3日, 20261103, with or without a time;
    spreadsheet date cells; Excel serial numbers when `serial_ok` (spreadsheets only)."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    s = text(cell)
    m = DATE_RE.match(s) or COMPACT_DATE_RE.fullmatch(s)
    if m is None and serial_ok and re.fullmatch(r"\d{4,5}(\.0+)?", s):
        value = _excel_serial(s, False)
        if value is not None:
            return value
    if m is None or (m.re is DATE_RE and s[m.end():].strip() and not TIME_RE.fullmatch(s[m.end():].strip())):
        raise CellError(_("Not a date; write it as 2026-11-03 or 2026/11/3."))
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise CellError(_("This date does not exist.")) from None


def _excel_serial(s: str, with_time: bool):
    """'46329' or '46329.8125' (days since 1899-12-30) within 1900–2199, else None."""
    m = SERIAL_RE.fullmatch(s)
    if m is None:
        return None
    value = float(s)
    if not (EXCEL_MIN <= value < EXCEL_MAX):
        return None
    days = int(value)
    base = dt.datetime.combine(EXCEL_EPOCH + dt.timedelta(days=days), dt.time())
    if not with_time:
        return base.date()
    # to the second, as Excel shows it (the fraction of a day is rarely an exact float)
    return base + dt.timedelta(seconds=round((value - days) * 86400))


def parse_datetime(cell, tz=None, *, serial_ok: bool = True) -> dt.datetime:
    """An aware datetime (see `_parse_datetime`); the only exception raised is CellError."""
    try:
        return _parse_datetime(cell, tz, serial_ok)
    except CellError:
        raise
    except (ArithmeticError, ValueError):  # e.g. year 9999 pushed past the calendar by the time zone
        raise CellError(_("Not a date and time; write it as 2026-11-03 19:30.")) from None


def _parse_datetime(cell, tz=None, serial_ok: bool = True) -> dt.datetime:
    """Aware datetime in `tz` (default: the current time zone) from what POS/PMS exports
    write: '2026/11/3 19:30', '2026-11-03 19:30:00', '2026-11-03T19:30', '2026年11月3日',
    '2026年11月3日 19时30分', '20261103', a spreadsheet date cell, or an Excel serial
    number with a fraction for the time of day ('46329.8125') when `serial_ok`. A date
    without a time is midnight. Impossible dates and times are refused, never rolled over."""
    tz = tz or timezone.get_current_timezone()
    if isinstance(cell, dt.datetime):
        value = cell
    elif isinstance(cell, dt.date):
        value = dt.datetime.combine(cell, dt.time())
    else:
        s = cell if cell.__class__ is str and cell.isascii() else text(cell)
        m = FAST_DATETIME_RE.fullmatch(s)
        if m is not None:  # the common case, without the general parser's regexes
            try:
                value = dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4] or 0), int(m[5] or 0),
                                    int(m[6] or 0))
            except ValueError:
                raise CellError(_("This date or time does not exist.")) from None
        else:
            value = _general_datetime(s, serial_ok)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz) if isinstance(tz, ZoneInfo) else timezone.make_aware(value, tz)
    return value


def _general_datetime(s: str, serial_ok: bool) -> dt.datetime:
    m = DATE_RE.match(s)
    if m is None:
        m = COMPACT_DATE_RE.match(s)
        if m is not None and s[m.end():] and not s[m.end()].isspace():
            m = None
    if m is None:
        value = _excel_serial(s, True) if serial_ok else None
        if value is None:
            raise CellError(_("Not a date and time; write it as 2026-11-03 19:30."))
        return value
    rest = s[m.end():].strip().lstrip("T").strip()
    t = TIME_RE.fullmatch(rest) if rest else None
    if rest and t is None:
        raise CellError(_("Not a date and time; write it as 2026-11-03 19:30."))
    try:
        return dt.datetime(int(m[1]), int(m[2]), int(m[3]),
                           int(t[1]) if t else 0, int(t[2]) if t else 0, int(t[3] or 0) if t else 0)
    except ValueError:
        raise CellError(_("This date or time does not exist.")) from None


def parse_decimal(cell, places: int = 2, max_digits: int = 12) -> Decimal:
    """'￥1,234.50', '1234.5元', '１２８．００', ' 128.00 ', '-88.00' (a refund) → Decimal.

    Refused, never guessed: text, two decimal points ('12.3.4'), more than `places`
    decimals, thousands separators in the wrong places ('12,34' might be 12.34),
    exponents ('1e5'), and values with more than `max_digits - places` digits before the
    point (the model field's max_digits and decimal_places: 10 for a visit's amount).
    Whatever the cell holds, the only exception raised is CellError."""
    try:
        return _parse_decimal(cell, places, max_digits)
    except CellError:
        raise
    except (ArithmeticError, ValueError):  # decimal.InvalidOperation, Overflow … on absurd input
        raise CellError(_("Not an amount; write it as 1234.50.")) from None


def _too_large(digits: int):
    return CellError(_("The amount is too large: at most %(digits)d digits before the decimal point.")
                     % {"digits": digits})


def _parse_decimal(cell, places: int, max_digits: int) -> Decimal:
    whole = max_digits - places
    s = cell if cell.__class__ is str and cell.isascii() else text(cell)
    if places == 2 and PLAIN_AMOUNT_RE.fullmatch(s):  # the common case: '1234.50', '-88'
        if len(s.lstrip("-").partition(".")[0].lstrip("0")) > whole:
            raise _too_large(whole)
        return Decimal(s).quantize(CENT)
    if not PLAIN_AMOUNT_RE.fullmatch(s):
        s = MONEY_NOISE.sub("", text(cell))
        if s.count(".") > 1:
            raise CellError(_("Not an amount: more than one decimal point."))
        if "," in s:
            if not GROUPED_RE.fullmatch(s):
                raise CellError(_("Not an amount: the thousands separators are misplaced; write it as 1234.50."))
            s = s.replace(",", "")
        if not AMOUNT_RE.fullmatch(s):
            raise CellError(_("Not an amount; write it as 1234.50."))
    # counted on the text, before Decimal sees it: a 400-digit cell never reaches quantize()
    if len(s.lstrip("+-").partition(".")[0].lstrip("0")) > whole:
        raise _too_large(whole)
    value = Decimal(s)
    exponent = value.as_tuple().exponent
    if exponent < -places and value != value.quantize(QUANTA[places]):
        raise CellError(_("At most %(places)d decimal places.") % {"places": places})
    value = value.quantize(QUANTA[places])
    if len(value.as_tuple().digits) > max_digits:
        raise _too_large(whole)
    return value


MAX_INT_DIGITS = 18  # beyond any count a file holds; int() of thousands of digits is slow or refused


def parse_int(cell, minimum: int | None = None) -> int:
    """A whole number ('12', '12.0', '１２'); the only exception raised is CellError."""
    if cell.__class__ is str and cell.isdigit() and cell.isascii() and len(cell) <= MAX_INT_DIGITS:  # common
        value = int(cell)
        if minimum is not None and value < minimum:
            raise CellError(_("Must be at least %(minimum)d.") % {"minimum": minimum})
        return value
    s = text(cell)
    if re.fullmatch(r"[+-]?\d+(\.0+)?", s) is None:
        raise CellError(_("Not a whole number."))
    digits = s.partition(".")[0]
    if len(digits.lstrip("+-").lstrip("0")) > MAX_INT_DIGITS:
        raise CellError(_("The number is too large."))
    try:
        value = int(digits)
    except (ArithmeticError, ValueError):
        raise CellError(_("Not a whole number.")) from None
    if minimum is not None and value < minimum:
        raise CellError(_("Must be at least %(minimum)d.") % {"minimum": minimum})
    return value


def split_list(cell) -> list[str]:
    """'VIP，常客; 素食' → ['VIP', '常客', '素食']."""
    return [p.strip() for p in re.split(r"[,，;；、|/\n]+", text(cell)) if p.strip()]
