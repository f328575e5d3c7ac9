"""CRC-64-AVRO, the fingerprint the Avro specification defines for single-object encoding."""

from __future__ import annotations

__all__ = ["EMPTY", "crc64_avro"]

EMPTY = 0xC15D213AA4D7A795
"""The spec's ``EMPTY`` constant: initial value and polynomial of CRC-64-AVRO."""


def _table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY & -(fp & 1))
        table.append(fp)
    return tuple(table)


_TABLE = _table()


def crc64_avro(data: bytes) -> int:
    """The 64-bit CRC-64-AVRO fingerprint of ``data`` (the spec's ``fingerprint64``)."""
    fp = EMPTY
    for byte in data:
        fp = (fp >> 8) ^ _TABLE[(fp ^ byte) & 0xFF]
    return fp
