"""Fuzzed exports for the connectors' fuzz tests: a generated export with many bad records
(:mod:`connectors.synthetic.mutations`) shuffled in, and where every record landed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from connectors.synthetic.exports import ExportLayout
from connectors.synthetic.mutations import Mutant, mutants


@dataclass(frozen=True)
class Fuzzed:
    """A fuzzed export: its path, per line of a bad record (kind, field), and where each
    line of the original export went."""

    path: Path
    bad: dict[int, tuple[str, str]]
    moved: dict[int, int]


def _records(layout: ExportLayout, data: bytes) -> tuple[bytes, list[bytes]]:
    newline = layout.newline.encode() if layout.format == "csv" else b"\n"
    lines = data.split(newline)
    assert lines[-1] == b""
    lines = [line + newline for line in lines[:-1]]
    if layout.format == "csv":
        return lines[0], lines[1:]
    return b"", lines


def fuzz_export(
    layout: ExportLayout, good: Path, out: Path, *, count: int, seed: int, month: date
) -> Fuzzed:
    """``good`` with ``count`` bad records of every kind inserted at random places."""
    rng = random.Random(seed)  # noqa: S311 - seeded test data
    header, lines = _records(layout, good.read_bytes())
    first = 2 if header else 1
    made: list[Mutant | tuple[int, bytes]] = [(n, line) for n, line in enumerate(lines, first)]
    for mutant in mutants(layout, month, rng, count):
        made.insert(rng.randint(0, len(made)), mutant)
    bad, moved, chunks = {}, {}, [header]
    for n, item in enumerate(made, start=first):
        if isinstance(item, Mutant):
            bad[n] = (item.kind, item.field)
            chunks.append(item.data)
        else:
            moved[item[0]] = n
            chunks.append(item[1])
    out.write_bytes(b"".join(chunks))
    return Fuzzed(out, bad, moved)
