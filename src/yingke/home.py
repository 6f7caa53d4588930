"""The data directory ($YINGKE_HOME) and the secrets kept in it.

The directory is private to the account that runs Yingke: created (and kept) mode 0700,
and the files Yingke writes into it (secret_key, field_key, audit.log, the SQLite
database) mode 0600. The field-encryption key is never created here on import: see
customers/crypto.py and `yingke keys`.
"""

import os
import secrets
import stat
import string
import tempfile
from pathlib import Path

PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600
PRIVATE_FILES = ("secret_key", "field_key", "audit.log", "yingke.sqlite3", "yingke.sqlite3-wal",
                 "yingke.sqlite3-shm", "jobs.sqlite3", "jobs.sqlite3-wal", "jobs.sqlite3-shm")
KEY_ALPHABET = string.ascii_letters + string.digits


def _tighten(path: Path, mode: int) -> None:
    """Remove group and other permissions (never adds any); ignore what is not ours to change."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
        if current & 0o077:
            path.chmod(current & mode)
    except (FileNotFoundError, PermissionError):
        pass


def home_dir() -> Path:
    home = Path(os.environ.get("YINGKE_HOME") or "var").resolve()
    home.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    _tighten(home, PRIVATE_DIR)
    for name in PRIVATE_FILES:
        _tighten(home / name, PRIVATE_FILE)
    return home


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 unless it exists (SQLite then gives its -wal and
    -shm files the same mode; a log handler appends to it)."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE))
    except FileExistsError:
        pass
    return path


def new_key(length: int) -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(length))


def write_private(path: Path, text: str, *, replace: bool) -> bool:
    """Write `text` to `path` (mode 0600) atomically: a temporary file, then a rename
    (`replace`) or a hard link that fails when `path` exists. True when written."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if replace:
            os.replace(tmp, path)
            return True
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_secret(name: str) -> str | None:
    path = home_dir() / name
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def load_or_create_secret(name: str, length: int) -> str:
    """Read a secret from $YINGKE_HOME/<name>, creating it (mode 0600) on first use.

    Created atomically so that processes starting together agree on one value. Only for
    secrets whose loss costs nothing stored (the session signing key): never the field key.
    """
    path = home_dir() / name
    if not path.exists():
        write_private(path, new_key(length), replace=False)
    return path.read_text().strip()
