"""The data directory ($YINGKE_HOME) and the secrets kept in it."""

import os
import secrets
import string
import tempfile
from pathlib import Path


def home_dir() -> Path:
    home = Path(os.environ.get("YINGKE_HOME") or "var").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def load_or_create_secret(name: str, length: int) -> str:
    """Read a secret from $YINGKE_HOME/<name>, creating it (mode 600) on first use.

    Created atomically (write a temporary file, then hard-link it into place) so that
    processes starting together agree on one value.
    """
    home = home_dir()
    path = home / name
    if not path.exists():
        alphabet = string.ascii_letters + string.digits
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        fd, tmp = tempfile.mkstemp(dir=home, prefix=f".{name}.")
        with os.fdopen(fd, "w") as f:
            f.write(value)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()
