"""``wijkhub generate``: consecutive monthly synthetic exports of the three partners.

Writes, for each month, the corporation's arrears list, the school's absence export, the
gemeente's work trajectories (JSON Lines) and its consent register (a delta), each with a few
percent of bad rows; the sample mapping files under ``mappings/``; and the ground truth in
``TEST-ONLY-ground-truth.json``. The ground truth holds the synthetic addresses (it never goes
to Kafka) and is for tests only. The same arguments give the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from connectors.synthetic.exports import EXPORTS, ExportLayout
from connectors.synthetic.faults import Line, inject
from connectors.synthetic.population import advance, make_population

__all__ = ["TRUTH_FILE", "GeneratedFile", "encode_line", "generate"]

TRUTH_FILE = "TEST-ONLY-ground-truth.json"
_TRUTH_WARNING = (
    "TEST ONLY. Ground truth of SYNTHETIC exports made by `wijkhub generate`; holds the "
    "synthetic addresses. Never publish it, never send it to Kafka, never use real data."
)
_BURN_IN_MONTHS = 3
_PACKAGE = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class GeneratedFile:
    """One written export and its counts."""

    path: Path
    rows: int
    bad: int


def _month(start: date, offset: int) -> date:
    index = start.year * 12 + start.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


def _other_encoding(encoding: str) -> str:
    return "utf-8" if encoding == "windows-1252" else "cp1252"


def encode_line(layout: ExportLayout, line: Line) -> bytes:
    """One record of ``layout`` as the partner's system writes it (CSV line or JSON line)."""
    encoding = "cp1252" if layout.encoding == "windows-1252" else "utf-8"
    if line.fault == "wrong_encoding":
        encoding = _other_encoding(layout.encoding)
    values = dict(line.values)
    if layout.format == "jsonl":
        if line.missing:
            del values[line.missing]
        return (json.dumps(values, ensure_ascii=False) + "\n").encode(encoding)
    cells = [values[c] for c in layout.columns if c != line.missing]
    buf = io.StringIO()
    csv.writer(buf, delimiter=layout.delimiter, lineterminator=layout.newline).writerow(cells)
    return buf.getvalue().encode(encoding)


def _write(layout: ExportLayout, lines: list[Line], path: Path) -> dict[str, Any]:
    chunks: list[bytes] = []
    first = 1
    if layout.format == "csv":
        header = io.StringIO()
        csv.writer(header, delimiter=layout.delimiter, lineterminator=layout.newline).writerow(
            layout.columns
        )
        bom = b"\xef\xbb\xbf" if layout.encoding == "utf-8-sig" else b""
        enc = "cp1252" if layout.encoding == "windows-1252" else "utf-8"
        chunks.append(bom + header.getvalue().encode(enc))
        first = 2
    valid: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=first):
        chunks.append(encode_line(layout, line))
        if line.fault is None:
            valid.append({"line": number, **(line.truth or {})})
        else:
            bad.append({"line": number, "kind": line.fault, "field": line.field})
    path.write_bytes(b"".join(chunks))
    return {"rows": len(lines), "valid": valid, "bad": bad}


def generate(
    out: Path,
    *,
    households: int,
    seed: int,
    months: int = 2,
    start: date = date(2026, 1, 1),
    bad_rate: float = 0.03,
) -> list[GeneratedFile]:
    """Write ``months`` monthly exports of ``households`` households to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    evolve = random.Random(f"wijkhub-population-{seed}")  # noqa: S311 - synthetic data
    render = random.Random(f"wijkhub-exports-{seed}")  # noqa: S311 - synthetic data
    people = make_population(evolve, households, _month(start, -_BURN_IN_MONTHS))
    for offset in range(-_BURN_IN_MONTHS, 0):
        advance(evolve, people, _month(start, offset), consent=False)
    files: list[dict[str, Any]] = []
    written: list[GeneratedFile] = []
    for offset in range(months):
        month = _month(start, offset)
        advance(evolve, people, month, consent=True)
        for layout in EXPORTS:
            lines = inject(layout, layout.rows(people, month, render), render, month, bad_rate)
            path = out / layout.file_name(month)
            truth = _write(layout, lines, path)
            files.append(
                {
                    "file": path.name,
                    "partner": layout.partner,
                    "mapping": f"mappings/{Path(layout.mapping).name}",
                    "month": f"{month:%Y-%m}",
                    **truth,
                }
            )
            written.append(GeneratedFile(path, truth["rows"], len(truth["bad"])))
    mappings = out / "mappings"
    mappings.mkdir(exist_ok=True)
    for layout in EXPORTS:
        shutil.copyfile(_PACKAGE / layout.mapping, mappings / Path(layout.mapping).name)
    document = {
        "TEST_ONLY": _TRUTH_WARNING,
        "seed": seed,
        "households": households,
        "months": [f"{_month(start, k):%Y-%m}" for k in range(months)],
        "bad_rate": bad_rate,
        "files": files,
    }
    (out / TRUTH_FILE).write_text(json.dumps(document, sort_keys=True) + "\n", encoding="utf-8")
    return written
