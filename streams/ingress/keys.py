"""The hub's keys: the X25519 key pair identifiers are sealed to, and the pseudonym key.

``wijkhub keys init --dir DIR`` writes three files, each with mode 0600 and created
exclusively (an existing file is never overwritten):

``hub.key``
    The hub's X25519 private key, base64 of 32 bytes and a newline. Stays at the hub.
``hub.pub``
    The matching public key in the same format; the only file a connector needs.
``pseudonym.key``
    JSON ``{"key_id": "...", "key": "<base64 of 32 bytes>"}``: the HMAC key that turns a
    canonical identifier into ``hh_ref``. The key id prefixes every ``hh_ref`` so the key
    can be rotated.

Key material is never logged and never part of an error message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox

from streams.errors import HubError

__all__ = [
    "PRIVATE_KEY_FILE",
    "PSEUDONYM_KEY_FILE",
    "PUBLIC_KEY_FILE",
    "HubKeys",
    "KeyFileError",
    "PseudonymKey",
    "hh_ref",
    "init_keys",
    "load_keys",
    "unseal",
]

PRIVATE_KEY_FILE = "hub.key"
PUBLIC_KEY_FILE = "hub.pub"
PSEUDONYM_KEY_FILE = "pseudonym.key"
_KEY_BYTES = 32


class KeyFileError(HubError):
    """A key file is missing, malformed, or would be overwritten."""


@dataclass(frozen=True, slots=True)
class PseudonymKey:
    """The HMAC key behind ``hh_ref`` and its id."""

    key_id: str
    key: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class HubKeys:
    """Everything the hub ingress needs to turn a sealed subject into an ``hh_ref``."""

    private_key: PrivateKey = field(repr=False)
    pseudonym: PseudonymKey = field(repr=False)


def _write_exclusive(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask says
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def init_keys(directory: Path) -> PseudonymKey:
    """Create the hub key pair and a pseudonym key in ``directory``; returns the key id.

    Refuses (before writing anything) when any of the three files already exists.
    """
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    names = (PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, PSEUDONYM_KEY_FILE)
    existing = [name for name in names if (directory / name).exists()]
    if existing:
        raise KeyFileError(
            f"{directory}: {', '.join(existing)} already exist(s); keys are never overwritten. "
            "Move the old keys away first if you really mean to replace them."
        )
    private = PrivateKey.generate()
    pseudonym = PseudonymKey(key_id=f"k{secrets.token_hex(4)}", key=secrets.token_bytes(_KEY_BYTES))
    _write_exclusive(directory / PRIVATE_KEY_FILE, base64.b64encode(bytes(private)) + b"\n")
    _write_exclusive(
        directory / PUBLIC_KEY_FILE, base64.b64encode(bytes(private.public_key)) + b"\n"
    )
    document = {"key_id": pseudonym.key_id, "key": base64.b64encode(pseudonym.key).decode()}
    _write_exclusive(directory / PSEUDONYM_KEY_FILE, json.dumps(document).encode() + b"\n")
    return pseudonym


def _b64_key(path: Path, text: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != _KEY_BYTES:
        raise KeyFileError(
            f"{path}: not a base64 key of {_KEY_BYTES} bytes; run `wijkhub keys init`"
        )
    return raw


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"{path}: cannot read key file ({type(exc).__name__})") from None


def load_keys(directory: Path) -> HubKeys:
    """Load the hub's private key and pseudonym key from ``directory``."""
    private = PrivateKey(
        _b64_key(directory / PRIVATE_KEY_FILE, _read(directory / PRIVATE_KEY_FILE))
    )
    path = directory / PSEUDONYM_KEY_FILE
    try:
        document = json.loads(_read(path))
        key_id = str(document["key_id"])
        key = _b64_key(path, str(document["key"]))
    except (ValueError, KeyError, TypeError):
        raise KeyFileError(f"{path}: not a pseudonym key file; run `wijkhub keys init`") from None
    return HubKeys(private_key=private, pseudonym=PseudonymKey(key_id=key_id, key=key))


def unseal(private_key: PrivateKey, sealed: bytes) -> bytes:
    """Open a sealed subject; raises :class:`KeyFileError` when it was not sealed to this key."""
    try:
        return SealedBox(private_key).decrypt(sealed)
    except CryptoError:
        raise KeyFileError(
            "sealed subject cannot be opened with the hub key: sealed to another key, or damaged"
        ) from None


def hh_ref(pseudonym: PseudonymKey, canonical_id: bytes) -> str:
    """The household pseudonym ``<key id>:<hex HMAC-SHA256(key, canonical id)>``."""
    digest = hmac.new(pseudonym.key, canonical_id, hashlib.sha256).hexdigest()
    return f"{pseudonym.key_id}:{digest}"
