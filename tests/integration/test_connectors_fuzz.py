"""Fuzz: 10,000 bad rows and 30 malformed files per source on the real broker.

For each source (corporation, school, gemeente werk, gemeente consent): month 1 is published;
then month 2 with 10,000 bad records of every kind mixed in (:mod:`connectors.synthetic.
mutations`: year 1/9999/2062 dates, a 5,000-digit house number, a field over the CSV limit,
a quote that never closes, JSON nested 100,000 deep, a 5,000-digit JSON number, a lone
surrogate in the key, ...). Every bad record is rejected naming its line and the expected
field, with a reason; every good row still gives exactly the events month 2 implies. Then 30
malformed files (the broken kinds of :mod:`connectors.synthetic.broken` and random
corruptions), each from month 1's state: no traceback; a refused file changes no state; and
every message that reached the topic decodes with the project's codec and validates.

``WIJKHUB_FUZZ_ROWS`` / ``WIJKHUB_FUZZ_FILES`` raise the counts for a longer run.
"""

from __future__ import annotations

import csv
import json
import os
import random
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from connectors_kit import (
    TOPIC_OF,
    checked_messages,
    connector,
    copy_state,
    entry_for,
    layout,
    state_bytes,
)
from fuzz_exports import fuzz_export

from connectors.errors import ExportRefusedError
from connectors.synthetic.broken import BROKEN_EXPORTS, Export, corrupt
from connectors.synthetic.generate import TRUTH_FILE, generate
from schemas.catalogue import ensure_topics, topic_spec
from streams.ingress.keys import init_keys

pytestmark = pytest.mark.integration

ROWS = int(os.environ.get("WIJKHUB_FUZZ_ROWS", "10000"))
FILES = int(os.environ.get("WIJKHUB_FUZZ_FILES", "30"))


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    out = tmp_path_factory.mktemp("exports")
    generate(out, households=2000, seed=29, months=2)
    return out, json.loads((out / TRUTH_FILE).read_text())


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    directory = tmp_path_factory.mktemp("keys")
    init_keys(directory)
    return directory


def _implied(first: dict, second: dict, *, delta: bool) -> dict[str, int]:
    before = {tuple(r["key"]): json.dumps(r["facts"]) for r in first["valid"]}
    after = {tuple(r["key"]): json.dumps(r["facts"]) for r in second["valid"]}
    if delta:
        return {"delta": len(after)}
    want: Counter = Counter()
    for key, facts in after.items():
        if key not in before:
            want["opened"] += 1
        else:
            want["updated" if before[key] != facts else "observed"] += 1
    want["resolved"] = sum(1 for key in before if key not in after)
    return dict(+want)


def _malformed(stem: str, out: Path, entry: dict, where: Path) -> list[tuple[str, Path]]:
    export = Export.of(layout(stem), entry["file"], (out / entry["file"]).read_bytes())
    rng = random.Random(f"malformed-{stem}")  # noqa: S311 - seeded test data
    files = []
    for kind in BROKEN_EXPORTS:
        made = kind.make(export, rng)
        if made is not None:
            files.append((kind.name, made))
    n = 0
    while len(files) < FILES:
        name, data = corrupt((out / entry["file"]).read_bytes(), rng, kinds=1 + n % 3)
        files.append((name, (entry["file"], data)))
        n += 1
    paths = []
    for n, (name, (file_name, data)) in enumerate(files[:FILES]):
        path = where / f"{n:02d}" / file_name
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        paths.append((name, path))
    return paths


@pytest.mark.parametrize("stem", tuple(TOPIC_OF))
def test_fuzz_rows_and_files(exports, keys, kafka_settings, tmp_path, stem):
    out, truth = exports
    ensure_topics(kafka_settings, catalogue=(topic_spec(TOPIC_OF[stem]),))
    first, second = entry_for(truth, stem, "2026-01"), entry_for(truth, stem, "2026-02")
    state = tmp_path / "state"
    run = connector(first, out, state, kafka_settings, keys).run
    assert run(out / first["file"], rejects_path=tmp_path / "r1.csv", progress=False).published
    month1 = tmp_path / "month1"
    copy_state(state, month1)

    # 1. ten thousand bad records in month 2
    fuzzed = fuzz_export(
        layout(stem), out / second["file"], tmp_path / second["file"],
        count=ROWS, seed=ROWS, month=date(2026, 2, 1),
    )  # fmt: skip
    rejects_file = tmp_path / "fuzz.rejects.csv"
    con = connector(second, out, state, kafka_settings, keys)
    summary = con.run(fuzzed.path, rejects_path=rejects_file, progress=False)
    rejected = {int(r["line"]): r for r in csv.DictReader(rejects_file.open(encoding="utf-8"))}
    for line, (kind, field) in fuzzed.bad.items():
        assert line in rejected, f"{kind} at line {line} was not rejected"
        assert rejected[line]["field"] == field, (kind, rejected[line])
        assert rejected[line]["reason"], kind
        assert "please report" not in rejected[line]["reason"], (kind, rejected[line])
    generator_bad = {fuzzed.moved[b["line"]] for b in second["bad"]}
    assert set(rejected) == set(fuzzed.bad) | generator_bad
    assert summary.valid == len(second["valid"])
    assert summary.changes == _implied(first, second, delta=stem == "gemeente_toestemming")
    assert len(fuzzed.bad) >= ROWS

    # 2. thirty malformed files, each from month 1's state
    outcomes: Counter = Counter()
    for name, path in _malformed(stem, out, second, tmp_path / "malformed"):
        copy_state(month1, state)
        kept = state_bytes(state)
        con = connector(second, out, state, kafka_settings, keys)
        try:
            result = con.run(path, rejects_path=tmp_path / "m.rejects.csv", progress=False)
        except ExportRefusedError as exc:
            reason, result = str(exc), None
        if result is None:
            assert "\n" not in reason, name
            assert state_bytes(state) == kept, f"{name}: refused, yet the state changed"
            outcomes["refused"] += 1
            continue
        reasons = list(csv.DictReader((tmp_path / "m.rejects.csv").open(encoding="utf-8")))
        assert all(r["field"] and r["reason"] for r in reasons), name
        assert not any("please report" in r["reason"] for r in reasons), name
        assert result.read == result.valid + result.rejected, name
        outcomes["accepted with rejects" if result.rejected else "accepted"] += 1
    assert sum(outcomes.values()) == FILES
    assert outcomes["refused"] >= 8, outcomes

    # 3. whatever reached the broker is a valid event
    messages = checked_messages(kafka_settings, TOPIC_OF[stem], keys)
    assert messages
    print(  # the figures for a report: pytest -rP shows them
        f"{stem}: {len(fuzzed.bad)} bad rows, all rejected with field and reason; "
        f"{FILES} malformed files: {dict(outcomes)}; 0 tracebacks; "
        f"{len(messages)} messages on the topic, all valid"
    )
