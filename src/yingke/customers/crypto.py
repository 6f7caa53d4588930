"""Encryption at rest for ID numbers, with an exact-match blind index (R-12.1).

The keys come from the field-encryption key ring (core/fieldkey.py: $YINGKE_HOME/field_key
or YINGKE_FIELD_KEY, checked against the fingerprint stored in the database). Losing the
key makes the stored ID numbers unreadable: back it up with the database.

A stored value that cannot be decrypted (wrong or lost key, damaged row) must never end a
request in a server error: read with try_decrypt() and show the value as unreadable.
"""

from cryptography.fernet import InvalidToken

from yingke.core import fieldkey
from yingke.core.fieldkey import FieldKeyError

__all__ = ["FieldKeyError", "blind_index", "blind_indexes", "decrypt", "encrypt", "try_decrypt"]


def encrypt(value: str) -> str:
    """Raises FieldKeyError when the key is missing or not the database's (never writes with it)."""
    return fieldkey.for_writing().encrypt(value) if value else ""


def decrypt(token: str) -> str:
    """The plain value; raises FieldKeyError or cryptography's InvalidToken. See try_decrypt()."""
    return fieldkey.require().decrypt(token) if token else ""


def try_decrypt(token: str) -> str | None:
    """The plain value ('' for no value), or None when it cannot be decrypted."""
    if not token:
        return ""
    try:
        return fieldkey.require().decrypt(token)
    except (FieldKeyError, InvalidToken, ValueError, TypeError, AttributeError):
        return None


def blind_index(value: str) -> str:
    """Deterministic keyed hash of a normalised value: equal values, equal index."""
    return fieldkey.for_writing().blind_index(value) if value else ""


def blind_indexes(value: str) -> list[str]:
    """The index of `value` under every key of the ring: search with `hash__in=` so that
    rows not yet re-indexed by `yingke keys rotate` are still found during the rotation."""
    return fieldkey.for_writing().blind_indexes(value) if value else []
