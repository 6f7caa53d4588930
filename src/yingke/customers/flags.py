"""Flags on guest files in lists and search results (R-2.6: an open complaint flags the file).

Other apps register a provider in their AppConfig.ready():

    FILE_FLAGS.append(provider)   # provider(user, ids) -> {customer id: [Flag, …]}

A provider answers for a whole page of ids at once (one query, never one per file) and only
with what `user` may see. `flags_for(user, ids)` merges every provider's answer; the template
tag {% file_flags rows as flags %} / {% show_flags flags c.pk %} (customers.templatetags.file_flags)
shows them as small badges.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import NamedTuple


class Flag(NamedTuple):
    label: str
    css_class: str  # a badge class of app.css, e.g. "badge-hot"
    title: str = ""


FILE_FLAGS: list[Callable[[object, list[int]], dict[int, list]]] = []


def flags_for(user, ids: Iterable[int]) -> dict[int, list[Flag]]:
    ids = sorted({int(i) for i in ids if i})
    out: dict[int, list[Flag]] = defaultdict(list)
    if not ids or user is None or not getattr(user, "is_authenticated", False):
        return {}
    for provider in FILE_FLAGS:
        for pk, flags in (provider(user, ids) or {}).items():
            out[pk].extend(Flag(*f) for f in flags)
    return dict(out)
