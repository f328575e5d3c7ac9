"""Password hashes for coordinators: scrypt from the standard library.

A hash is ``scrypt$<log2 n>$<r>$<p>$<salt, base64>$<key, base64>``, so parameters can be
raised later without breaking stored hashes. ``wijkhub inbox hash-password`` makes one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["hash_password", "verify_password"]

_LOG2_N = 15
_R = 8
_P = 1
_KEY_LEN = 32
_MAXMEM = 128 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=2**log2_n, r=r, p=p, maxmem=_MAXMEM, dklen=_KEY_LEN
    )


def hash_password(password: str, *, log2_n: int = _LOG2_N) -> str:
    """A new salted scrypt hash of ``password``."""
    salt = secrets.token_bytes(16)
    key = _derive(password, salt, log2_n, _R, _P)
    return f"scrypt${log2_n}${_R}${_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``; malformed hashes never match."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        log2_n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
    except ValueError:
        return False
    if not (10 <= log2_n <= 20 and 1 <= r <= 32 and 1 <= p <= 4):
        return False
    actual = _derive(password, salt, log2_n, r, p)
    return hmac.compare_digest(actual, expected)
