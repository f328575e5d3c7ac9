"""Sealing the household identifier to the hub's public key (libsodium sealed box).

A connector needs only the hub's public key file (``hub.pub`` from ``wijkhub keys init``:
base64 of the 32-byte X25519 public key and a newline). A sealed box is randomised: sealing
the same identifier twice gives different ciphertexts, so nobody with topic access — another
partner included — can link or read them; only the hub's private key opens them.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from nacl.public import PublicKey, SealedBox

from connectors.errors import ConnectorError

__all__ = ["Sealer", "load_public_key"]

_KEY_BYTES = 32


def load_public_key(path: Path) -> PublicKey:
    """Read the hub's public key file; the error says what is wrong and what to do."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConnectorError(
            f"{path}: cannot read the hub's public key ({type(exc).__name__}); "
            "set WIJKHUB_HUB_PUBLIC_KEY to the hub.pub file the hub operator gave you"
        ) from None
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != _KEY_BYTES:
        raise ConnectorError(f"{path}: not a hub public key (base64 of {_KEY_BYTES} bytes)")
    return PublicKey(raw)


class Sealer:
    """Seals canonical identifiers to the hub's public key."""

    def __init__(self, public_key: PublicKey) -> None:
        self._box = SealedBox(public_key)

    @classmethod
    def from_file(cls, path: Path) -> Sealer:
        """A sealer for the public key in ``path``."""
        return cls(load_public_key(path))

    def seal(self, canonical_id: bytes) -> bytes:
        """Randomised ciphertext of ``canonical_id`` (48 bytes longer than the input)."""
        return bytes(self._box.encrypt(canonical_id))
