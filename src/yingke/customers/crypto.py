"""Encryption at rest for ID numbers, with an exact-match blind index (R-12.1).

Both keys are derived (HKDF-SHA256) from settings.FIELD_KEY, which lives in
$YINGKE_HOME/field_key or the YINGKE_FIELD_KEY environment variable. Losing it makes
the stored ID numbers unreadable: back it up with the database.
"""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _derive(info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(settings.FIELD_KEY.encode())


@cache
def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(b"yingke id encryption")))


@cache
def _index_key() -> bytes:
    return _derive(b"yingke id blind index")


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode() if token else ""


def blind_index(value: str) -> str:
    """Deterministic keyed hash of a normalised value: equal values, equal index."""
    return hmac.new(_index_key(), value.encode(), hashlib.sha256).hexdigest() if value else ""
