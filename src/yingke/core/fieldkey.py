"""The field-encryption key ring and its fingerprint in the database (R-12.1).

Rules:
- The key lives in $YINGKE_HOME/field_key (mode 0600) or YINGKE_FIELD_KEY. The file may hold
  several keys, one a line: the first encrypts, all decrypt (only during `yingke keys rotate`).
- The database stores the fingerprint of the key in use (core.KeyFingerprint). A process
  whose first key is not an active fingerprint refuses to work: `serve`, `migrate` and the
  commands that read ID numbers exit with status 2, the web answers 503.
- The key file is created only for a database that has no fingerprint and no encrypted
  value yet (a new installation); an existing key is adopted when it decrypts what is stored.
- The file is re-read when it changes, so running web processes pick up a rotation.

Both the encryption key and the blind-index key are derived (HKDF-SHA256) from each master key.
"""

import base64
import hashlib
import hmac
import os
import threading
from dataclasses import dataclass
from functools import cached_property

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.home import home_dir, new_key, write_private

KEY_FILE = "field_key"
KEY_LENGTH = 44
MIN_KEY_LENGTH = 32


class FieldKeyError(Exception):
    """The key is missing, malformed or not the one the database was written with."""


class Problem:
    """A message rendered in the language active when it is shown (the web shows it in two)."""

    def __init__(self, message, **params):
        self.message, self.params = message, params

    def __str__(self):
        return str(self.message) % self.params


NO_KEY = gettext_lazy("there is no field-encryption key (%(path)s); run “yingke migrate” to set up a new "
                      "installation, or restore the file from your backup.")


def _derive(key: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key.encode())


def fingerprint(key: str) -> str:
    """Identifies a key without revealing it (a third HKDF output, never used for data)."""
    return _derive(key, b"yingke key fingerprint").hex()


@dataclass(frozen=True, eq=False)
class Keyring:
    keys: tuple[str, ...]  # the first encrypts and indexes; all decrypt
    source: str  # "file" or "environment"

    @property
    def primary(self) -> str:
        return self.keys[0]

    @cached_property
    def fingerprints(self) -> tuple[str, ...]:
        return tuple(fingerprint(k) for k in self.keys)

    @cached_property
    def _fernets(self) -> list[Fernet]:
        return [Fernet(base64.urlsafe_b64encode(_derive(k, b"yingke id encryption"))) for k in self.keys]

    @cached_property
    def _multi(self) -> MultiFernet:
        return MultiFernet(self._fernets)

    @cached_property
    def _index_keys(self) -> list[bytes]:
        return [_derive(k, b"yingke id blind index") for k in self.keys]

    def encrypt(self, value: str) -> str:
        return self._multi.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._multi.decrypt(token.encode()).decode()

    def decrypts_with_primary(self, token: str) -> bool:
        try:
            self._fernets[0].decrypt(token.encode())
            return True
        except (InvalidToken, ValueError):
            return False

    def blind_index(self, value: str) -> str:
        return hmac.new(self._index_keys[0], value.encode(), hashlib.sha256).hexdigest()

    def blind_indexes(self, value: str) -> list[str]:
        return [hmac.new(k, value.encode(), hashlib.sha256).hexdigest() for k in self._index_keys]


def parse_keys(text: str, source: str) -> Keyring:
    keys = tuple(line.strip() for line in text.replace(",", "\n").splitlines()
                 if line.strip() and not line.strip().startswith("#"))
    if not keys:
        raise FieldKeyError(_("the field-encryption key (%(where)s) is empty.") % {"where": source_label(source)})
    if any(len(k) < MIN_KEY_LENGTH for k in keys):
        raise FieldKeyError(_("the field-encryption key (%(where)s) is too short: use at least %(n)d characters.")
                            % {"where": source_label(source), "n": MIN_KEY_LENGTH})
    return Keyring(keys, source)


def key_path():
    return home_dir() / KEY_FILE


def source_label(source: str) -> str:
    return "YINGKE_FIELD_KEY" if source == "environment" else str(key_path())


_lock = threading.Lock()
_state: dict = {"stamp": None, "ring": None, "web": None, "checked": None}


def current() -> Keyring | None:
    """The key ring in force, re-read when the file changes; None when there is no key."""
    configured = getattr(settings, "FIELD_KEY", None)
    if configured:
        stamp = ("environment", configured)
    else:
        try:
            st = os.stat(key_path())
            stamp = ("file", st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
    if stamp == _state["stamp"] and (stamp is None or _state["ring"] is not None):
        return _state["ring"]
    with _lock:
        if stamp is None:
            ring = None
        elif configured:
            ring = parse_keys(configured, "environment")
        else:
            try:
                ring = parse_keys(key_path().read_text(), "file")
            except FileNotFoundError:
                ring, stamp = None, None
        _state.update(stamp=stamp, ring=ring, web=None, checked=None)
    return ring


def forget() -> None:
    """Drop what is cached (tests; after this process rewrote the key file)."""
    _state.update(stamp=None, ring=None, web=None, checked=None)


def require() -> Keyring:
    ring = current()
    if ring is None:
        raise FieldKeyError(str(Problem(NO_KEY, path=key_path())))
    return ring


# -- the database side ---------------------------------------------------------------------------

def encrypted_fields() -> list[tuple]:
    """(model, encrypted field name, blind-index field name or None) of every model, history
    tables included: a field named `<x>_enc`, with `<x>_hash` beside it when there is one."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields}
        for name in sorted(names):
            if name.endswith("_enc"):
                stem = name[:-4]
                found.append((model, name, f"{stem}_hash" if f"{stem}_hash" in names else None))
    return found


def active_fingerprints() -> set[str]:
    from yingke.core.models import KeyFingerprint

    return set(KeyFingerprint.objects.filter(retired_at__isnull=True).values_list("fingerprint", flat=True))


def sample_values(limit_per_field: int = 1) -> list[str]:
    values = []
    for model, enc, _hash in encrypted_fields():
        values += list(model._default_manager.exclude(**{enc: ""}).values_list(enc, flat=True)[:limit_per_field])
    return values


def short(fp: str) -> str:
    return fp[:12]


def mismatch(ring: Keyring | None, active: set[str]) -> Problem | None:
    """Why this key ring may not be used with a database whose active fingerprints are `active`
    (None: it may). A database without fingerprints accepts any key (see ensure())."""
    if not active:
        return None if ring is not None else Problem(NO_KEY, path=key_path())
    expected = ", ".join(sorted(short(f) for f in active))
    if ring is None:
        return Problem(gettext_lazy(
            "the field-encryption key file %(path)s is missing, but the database holds data encrypted with the "
            "key with fingerprint %(expected)s. Restore the file from your backup (a new key would make the "
            "stored ID numbers unreadable)."), path=key_path(), expected=expected)
    if ring.fingerprints[0] not in active:
        return Problem(gettext_lazy(
            "the field-encryption key (%(where)s, fingerprint %(actual)s) is not the key of this database "
            "(fingerprint %(expected)s). Restore the right key file from your backup; run “yingke keys check” "
            "for details."), where=source_label(ring.source), actual=short(ring.fingerprints[0]),
            expected=expected)
    return None


def for_writing() -> Keyring:
    """The key ring, checked against the database once per key file version: whatever path
    writes an encrypted value or a blind index (web, API, import, job) cannot write it with a
    key that is not the database's."""
    ring = require()
    if _state["checked"] is not ring:
        verify()
        _state["checked"] = ring
    return ring


def verify() -> Keyring:
    """The key ring, when it is the database's; FieldKeyError otherwise."""
    ring = current()
    problem = mismatch(ring, active_fingerprints())
    if problem:
        raise FieldKeyError(str(problem))
    return require()


def ensure() -> tuple[Keyring, str]:
    """Check the key against a migrated database, setting up a new installation.

    Returns (ring, what happened: "ok", "created" or "adopted"); FieldKeyError when the
    key is missing or does not fit. Never replaces a key file.
    """
    from django.utils import timezone

    from yingke.core.models import KeyFingerprint

    active = active_fingerprints()
    ring = current()
    if active:
        problem = mismatch(ring, active)
        if problem:
            raise FieldKeyError(str(problem))
        return ring, "ok"
    samples = sample_values()
    if ring is None:
        if samples:
            raise FieldKeyError(_("the database holds encrypted ID numbers but the field-encryption key file "
                                  "%(path)s is missing. Restore it from your backup; a new key cannot read them.")
                                % {"path": key_path()})
        write_private(key_path(), new_key(KEY_LENGTH) + "\n", replace=False)
        forget()
        ring, outcome = require(), "created"
    else:
        for token in samples:
            try:
                ring.decrypt(token)
            except (InvalidToken, ValueError):
                raise FieldKeyError(_("the field-encryption key (%(where)s) cannot decrypt the ID numbers stored "
                                      "in this database. Restore the right key file from your backup.")
                                    % {"where": source_label(ring.source)}) from None
        outcome = "adopted"
    KeyFingerprint.objects.get_or_create(fingerprint=ring.fingerprints[0],
                                         defaults={"created_at": timezone.now()})
    return ring, outcome


def web_problem() -> "Problem | FieldKeyError | None":
    """For the web process: why it must not serve (cached until the key file changes)."""
    try:
        ring = current()
    except FieldKeyError as e:
        return e
    cached = _state["web"]
    if cached is not None and cached[0] is ring:
        return cached[1]
    from django.db import DatabaseError

    try:
        problem = mismatch(ring, active_fingerprints())
    except DatabaseError:  # not migrated yet: the pages say so themselves; check again next time
        return None
    _state["web"] = (ring, problem)
    return problem
