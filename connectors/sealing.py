"""Sealing the household identifier to the hub's public key (libsodium sealed box).

A connector needs only the hub's public key file (``hub.pub`` from ``wijkhub keys init``:
base64 of the 32-byte X25519 public key and a newline). A sealed box is randomised: sealing
the same identifier twice gives different ciphertexts, so nobody with topic access — another
partner included — can link or read them; only the hub's private key opens them.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from nacl.public import PublicKey, SealedBox

from connectors.errors import ConnectorError, StateError

__all__ = ["Sealer", "load_public_key", "sealed_subjects"]

_KEY_BYTES = 32
_SEAL_CHUNK = 256  # rows sealed per task: large enough that thread hand-offs cost nothing
_SEAL_THREADS = 2


class _Subject(Protocol):
    @property
    def canonical_id(self) -> bytes | None: ...

    @property
    def sealed(self) -> str | None: ...


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


@contextlib.contextmanager
def sealed_subjects(changes: Sequence[_Subject], sealer: Sealer) -> Iterator[Iterator[bytes]]:
    """The sealed subject of every change, in order: fresh for rows with their identifier,
    the stored box for the others (resolved rows, a rollback). Sealing starts on entry, so
    it runs while the caller writes the in-flight record; leaving the block early cancels
    what has not started.

    Sealing (an X25519 key agreement per row) is the costliest step of a run. libsodium runs
    without the GIL, so chunks are sealed ahead on worker threads while the caller encodes
    and sends. Each seal needs the GIL back to return: while the caller runs pure Python (as
    when reading the export) a worker gets it only every switch interval (5 ms), ~200
    seals/s, so sealing is not started during reading. During the sends the caller gives
    the GIL up often (to kafka-python's sender thread and on waits): measured on 3,000 and
    10,000 rows, it waited 20-60 ms a run for seals in all, and a lower switch interval
    (0.5-2 ms) did not make runs faster, so the interpreter's default is left alone.
    """
    chunks = [changes[i : i + _SEAL_CHUNK] for i in range(0, len(changes), _SEAL_CHUNK)]
    with ThreadPoolExecutor(max_workers=_SEAL_THREADS, thread_name_prefix="seal") as pool:
        futures = [pool.submit(_seal_chunk, sealer, chunk) for chunk in chunks]
        try:
            yield (subject for future in futures for subject in future.result())
        finally:
            for future in futures:
                future.cancel()


def _seal_chunk(sealer: Sealer, changes: Sequence[_Subject]) -> list[bytes]:
    out = []
    for change in changes:
        if change.canonical_id is not None:
            out.append(sealer.seal(change.canonical_id))
        elif change.sealed is not None:
            out.append(base64.b64decode(change.sealed))
        else:
            raise StateError("a row has no sealed subject in the state; damaged state")
    return out
