"""Pinyin readings of names for the search box (R-2.7).

pypinyin has no surname mode (曾国藩 → "ceng…"), so surnames are read from our own
table first; every other reading of each polyphonic character is indexed too, so
either spelling finds the guest. pypinyin's global dictionaries are never changed.
"""

import itertools
import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.constants import PHRASES_DICT

# Surnames whose reading differs from the common reading of the character.
SURNAME_READINGS = {
    "尉迟": ("yu", "chi"), "单于": ("chan", "yu"), "万俟": ("mo", "qi"), "长孙": ("zhang", "sun"),
    "澹台": ("tan", "tai"), "令狐": ("ling", "hu"), "宇文": ("yu", "wen"), "欧阳": ("ou", "yang"),
    "单": ("shan",), "曾": ("zeng",), "解": ("xie",), "仇": ("qiu",), "区": ("ou",), "查": ("zha",),
    "朴": ("piao",), "盖": ("ge",), "缪": ("miao",), "覃": ("qin",), "乐": ("yue",), "员": ("yun",),
    "秘": ("bi",), "黑": ("he",), "翟": ("zhai",), "那": ("na",), "种": ("chong",), "折": ("she",),
    "召": ("shao",), "隗": ("wei",), "牟": ("mou",), "都": ("du",), "过": ("guo",), "华": ("hua",),
    "任": ("ren",), "宁": ("ning",), "纪": ("ji",), "繁": ("po",), "句": ("gou",), "阚": ("kan",),
    "蕃": ("pi",), "沈": ("shen",), "柏": ("bai",), "祭": ("zhai",), "眭": ("sui",), "藏": ("zang",),
}
MAX_COMBINATIONS = 32
HAN_CLASS = r"[\u3400-\u9fff\uf900-\ufaff]"
HAN = re.compile(HAN_CLASS)


def has_han(text: str) -> bool:
    return bool(HAN.search(text))


@lru_cache(maxsize=20000)
def char_readings(char: str) -> tuple[str, ...]:
    return tuple(pinyin(char, style=Style.NORMAL, heteronym=True)[0])


@lru_cache(maxsize=20000)
def _single_context(char: str) -> str | None:
    out = lazy_pinyin(char, style=Style.NORMAL)
    return out[0] if len(out) == 1 else None


def context_readings(han: str) -> list[str]:
    """lazy_pinyin(han): the reading of each character in context (Chinese characters only).

    pypinyin reads a character differently only inside a phrase of its dictionary; a
    name containing none (most names) is read character by character from a cache,
    which gives the same result about four times faster (bulk imports, R-3.2).
    """
    n = len(han)
    if n > 1 and any(han[i:j] in PHRASES_DICT for i in range(n - 1) for j in range(i + 2, n + 1)):
        return lazy_pinyin(han, style=Style.NORMAL)
    out = [_single_context(c) for c in han]
    return out if None not in out else lazy_pinyin(han, style=Style.NORMAL)


def surname_length(name: str) -> int:
    return 2 if name[:2] in SURNAME_READINGS else 1


@lru_cache(maxsize=100000)
def name_readings(name: str) -> tuple[tuple[str, ...], ...]:
    """Each syllable's readings, best first: surname table, then context, then the rest."""
    chars = [c for c in name if HAN.match(c)]
    if not chars:
        return ()
    han = "".join(chars)
    context = context_readings(han)
    first = SURNAME_READINGS.get(han[:2]) or SURNAME_READINGS.get(han[:1]) or ()
    out = []
    for i, ch in enumerate(chars):
        readings = []
        if i < len(first):
            readings.append(first[i])
        readings.append(context[i])
        readings.extend(char_readings(ch))
        out.append(tuple(dict.fromkeys(r for r in readings if r.isascii() and r.isalpha())))
    return tuple(out)


def latin_key(text: str) -> str:
    """Lower-case letters and digits only: 'John Smith' → 'johnsmith'."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text.lower() if c.isascii() and c.isalnum())


def primary_pinyin(name: str) -> str:
    """The sort key: the best reading of a Chinese name, or the latin letters of another."""
    readings = name_readings(name)
    if readings:
        return "".join(r[0] for r in readings if r)
    return latin_key(name)


def reading_combinations(name: str) -> list[tuple[str, ...]]:
    """The primary reading first, then every other reading of every syllable.

    Small names get the full product; large ones the primary plus one alternative at a
    time, so every reading of every character is indexed at least once.
    """
    readings = [r for r in name_readings(name) if r]
    if not readings:
        return []
    primary = tuple(r[0] for r in readings)
    total = 1
    for r in readings:
        total *= len(r)
    if total <= MAX_COMBINATIONS:
        combos = list(itertools.product(*readings))
    else:
        combos = [primary]
        for i, options in enumerate(readings):
            for alt in options[1:]:
                combos.append(primary[:i] + (alt,) + primary[i + 1:])
    return list(dict.fromkeys(combos))


def search_keys(name: str) -> list[tuple[int, str]]:
    """(kind, key) pairs to index for a name; kinds as in SearchKey.Kind.

    Kinds: 1 name, 2 primary pinyin, 3 primary initials, 4 other pinyin, 5 other initials,
    6 a later part of the name (so that 三丰 or 丰 finds 张三丰, Smith finds John Smith).
    """
    keys: dict[tuple[int, str], None] = {}
    plain = name_key(name)
    if plain:
        keys[(1, plain[:100])] = None
        if has_han(plain):
            han = "".join(HAN.findall(plain))
            for i in range(1, min(len(han), 6)):
                keys[(6, han[i:][:100])] = None
        else:
            for word in plain.split(" ")[1:]:
                keys[(6, word[:100])] = None
    combos = reading_combinations(name)
    if combos:
        for i, combo in enumerate(combos):
            full = "".join(combo)[:100]
            initials = "".join(s[0] for s in combo)[:100]
            keys[(2 if i == 0 else 4, full)] = None
            keys[(3 if i == 0 else 5, initials)] = None
    else:
        latin = latin_key(name)
        if latin:
            keys[(2, latin[:100])] = None
            words = re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", name).lower())
            if len(words) > 1:
                keys[(3, "".join(w[0] for w in words))] = None
    # A key of one kind never needs repeating as a weaker kind.
    seen, out = set(), []
    for kind, key in sorted(keys):
        if key not in seen:
            seen.add(key)
            out.append((kind, key))
    return out


SPACES = re.compile(r"\s+")


def clean_name(name: str) -> str:
    return SPACES.sub(" ", unicodedata.normalize("NFKC", name or "")).strip()


INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff]")  # zero-width spaces and joiners
SPACE_BY_HAN = re.compile(f"(?<={HAN_CLASS}) | (?={HAN_CLASS})")


def name_key(name: str) -> str:
    """A name as the search box compares it, stored (kind 1) and typed alike: clean_name,
    lower case, and no space next to a Chinese character. Staff type 毛 子轩, 曾　芳 (a
    full-width space) or 毛  子轩, and other systems store names that way; all are 毛子轩.
    Spaces between latin words stay (John Smith)."""
    return SPACE_BY_HAN.sub("", clean_name(INVISIBLE.sub("", name or ""))).lower()
