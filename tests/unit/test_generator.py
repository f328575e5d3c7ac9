"""``wijkhub generate``: deterministic, fast, realistic; its bad rows are exactly the rows the
connector rejects (dry run, no broker), with the field the ground truth names."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from connectors.config import ConnectorSettings
from connectors.partners import CONNECTORS
from connectors.synthetic.faults import FAULT_KINDS
from connectors.synthetic.generate import TRUTH_FILE, generate


def _digest(directory: Path) -> dict[str, str]:
    return {
        p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    started = time.perf_counter()
    generate(out, households=10_000, seed=11, months=3)
    elapsed = time.perf_counter() - started
    return out, json.loads((out / TRUTH_FILE).read_text()), elapsed


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    cli = [sys.executable, "-m", "schemas.cli", "generate", "--households", "300", "--seed", "5"]
    result = subprocess.run([*cli, "--out", str(tmp_path / "cli")], check=False, timeout=60)
    assert result.returncode == 0
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        generate(tmp_path / name, households=300, seed=seed)
    assert _digest(tmp_path / "cli") == _digest(tmp_path / "a")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_ten_thousand_households_in_a_few_seconds(exports):
    _, _, elapsed = exports
    assert elapsed < 10


def test_truth_is_marked_test_only(exports):
    _, truth, _ = exports
    assert truth["TEST_ONLY"].startswith("TEST ONLY")


def test_a_few_percent_bad_rows_of_every_kind(exports):
    _, truth, _ = exports
    for entry in truth["files"]:
        share = len(entry["bad"]) / entry["rows"]
        assert 0.01 <= share <= 0.06, entry["file"]
    kinds = Counter(b["kind"] for entry in truth["files"] for b in entry["bad"])
    assert set(kinds) == set(FAULT_KINDS)


def test_households_appear_at_several_partners_and_consent_varies(exports):
    _, truth, _ = exports
    domains: dict[str, set[str]] = {}
    statuses = Counter()
    for entry in truth["files"]:
        for row in entry["valid"]:
            domains.setdefault(row["id"], set()).add(entry["file"].rsplit("_", 1)[0])
            if "status" in row["facts"]:
                statuses[row["facts"]["status"]] += 1
    signals = [d - {"gemeente_toestemming"} for d in domains.values()]
    assert sum(1 for d in signals if len(d) >= 2) >= 300  # multi-domain cases
    assert sum(1 for d in signals if len(d) == 3) >= 20  # all three cogs
    assert {"given", "refused", "withdrawn"} <= set(statuses)


def test_there_are_resolutions_between_months(exports):
    _, truth, _ = exports
    by_month = {}
    for entry in truth["files"]:
        if entry["file"].startswith("corporatie"):
            by_month[entry["month"]] = {tuple(r["key"]) for r in entry["valid"]}
    months = sorted(by_month)
    assert by_month[months[0]] - by_month[months[1]]  # resolved
    assert by_month[months[1]] - by_month[months[0]]  # opened


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_dry_run_rejects_exactly_the_bad_rows(exports, tmp_path, index):
    out, truth, _ = exports
    entry = truth["files"][index]
    settings = ConnectorSettings(state_dir=tmp_path / "state", hub_public_key=tmp_path / "none")
    connector = CONNECTORS[entry["partner"]].from_mapping(out / entry["mapping"], settings)
    rejects = tmp_path / "rejects.csv"
    summary = connector.run(out / entry["file"], dry_run=True, rejects_path=rejects, progress=False)
    assert summary.rejected == len(entry["bad"])
    assert summary.valid == len(entry["valid"])
    assert summary.published == len(entry["valid"])
    assert summary.exit_code == 3
    got = {(int(r["line"]), r["field"]): r["reason"] for r in csv.DictReader(rejects.open())}
    assert set(got) == {(b["line"], b["field"]) for b in entry["bad"]}
    assert all(got.values())
    text = rejects.read_text()
    for row in entry["valid"]:
        postcode = row["id"].split("|")[1]
        assert postcode not in text
        assert f"{postcode[:4]} {postcode[4:]}" not in text
