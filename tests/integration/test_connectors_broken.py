"""Broken exports change nothing; a wrong snapshot can be rolled back without duplicates.

Month 1 of each source is published on the real broker; then each kind of broken month 2
(`connectors/synthetic/broken.py`: wrong delimiter, UTF-16, header only, empty, a renamed
column, a 2062 typo in the export date, reformatted dates, truncated, another partner's
export, random bytes) is refused: exit 1 through the CLI with a one-line reason, the state
directory byte for byte as it was, not one message published (so 0 "resolved"). The correct
month 2 is accepted afterwards and publishes exactly what it implies. A one-row date typo
rejects that row and leaves its previous event standing.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from connectors_kit import (
    TOPIC_OF,
    checked_messages,
    connector,
    copy_state,
    entry_for,
    facts,
    hub_view,
    layout,
    state_bytes,
)

from connectors.errors import ExportRefusedError, StateError
from connectors.recovery import rollback
from connectors.synthetic.broken import BROKEN_EXPORTS, Export, one_date_typo
from connectors.synthetic.generate import TRUTH_FILE, generate
from schemas.catalogue import ensure_topics, topic_spec
from schemas.settings import KafkaSettings
from streams.ingress.keys import init_keys

pytestmark = pytest.mark.integration

STEMS = tuple(TOPIC_OF)
REFUSED = [k for k in BROKEN_EXPORTS if k.refused]
SEEDED = random.Random  # seeded test data, not cryptography


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    out = tmp_path_factory.mktemp("exports")
    generate(out, households=2000, seed=13, months=2)
    return out, json.loads((out / TRUTH_FILE).read_text())


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    directory = tmp_path_factory.mktemp("keys")
    init_keys(directory)
    return directory


@pytest.fixture
def topics(kafka_settings):
    ensure_topics(kafka_settings, catalogue=tuple(topic_spec(t) for t in TOPIC_OF.values()))
    return kafka_settings


def _export(stem, out, entry) -> Export:
    return Export.of(layout(stem), entry["file"], (out / entry["file"]).read_bytes())


def _write(made, where: Path):
    if made is None:
        return None
    name, content = made
    path = where / name
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    return path


def _implied(before: dict, after: dict, *, delta: bool) -> Counter:
    """The changes month 2 implies (the ground truth's reading of the docs)."""
    if delta:
        return Counter({"delta": len(after)})
    want: Counter = Counter()
    for key, content in after.items():
        if key not in before:
            want["opened"] += 1
        elif before[key] != content:
            want["updated"] += 1
        else:
            want["observed"] += 1  # 31 days later: every unchanged row is refreshed
    want["resolved"] = sum(1 for key in before if key not in after)
    return +want


def _rows(entry) -> dict:
    return {tuple(r["key"]): json.dumps(r["facts"], sort_keys=True) for r in entry["valid"]}


@pytest.mark.parametrize("stem", STEMS)
def test_each_broken_export_changes_nothing_and_the_correct_one_is_accepted(
    exports, keys, topics, tmp_path, stem
):
    out, truth = exports
    first, second = entry_for(truth, stem, "2026-01"), entry_for(truth, stem, "2026-02")
    state = tmp_path / "state"
    month1 = connector(first, out, state, topics, keys).run(
        out / first["file"], rejects_path=tmp_path / "r1.csv", progress=False
    )
    assert month1.published == len(first["valid"])
    kept = state_bytes(state)
    on_topic = len(checked_messages(topics, TOPIC_OF[stem], keys))
    delta = first["file"].startswith("gemeente_toestemming")
    outcomes = {}
    for kind in REFUSED:
        path = _write(kind.make(_export(stem, out, second), SEEDED(7)), tmp_path / kind.name)
        if path is None:
            continue
        con = connector(second, out, state, topics, keys)
        if delta and not kind.refused_delta:
            continue  # a short or empty consent register is a valid delta; see below
        with pytest.raises(ExportRefusedError) as refused:
            con.run(path, rejects_path=tmp_path / "r.csv", progress=False)
        reason = str(refused.value)
        assert "\n" not in reason, reason
        assert str(path) in reason, reason
        assert state_bytes(state) == kept, f"{kind.name}: the state changed"
        assert len(checked_messages(topics, TOPIC_OF[stem], keys)) == on_topic, kind.name
        outcomes[kind.name] = reason
    assert len(outcomes) >= (6 if layout(stem).format == "jsonl" or delta else 9), outcomes
    for name, reason in outcomes.items():  # pytest -rP shows each kind's one-line reason
        print(f"{stem} {name}: refused: {reason.split(': ', 1)[1]}")

    summary = connector(second, out, state, topics, keys).run(
        out / second["file"], rejects_path=tmp_path / "r2.csv", progress=False
    )
    want = _implied(_rows(first), _rows(second), delta=delta)
    assert summary.changes == dict(want)
    messages = checked_messages(topics, TOPIC_OF[stem], keys)
    assert len(messages) == on_topic + sum(want.values())
    ids = Counter(dict(m.headers)["ce_id"] for m, _, _ in messages)
    assert max(ids.values()) == 1


def test_the_cli_refuses_with_exit_1_and_one_line(exports, keys, topics, kafka_env, tmp_path):
    out, truth = exports
    entry = entry_for(truth, "corporatie_huurachterstand", "2026-02")
    kind = next(k for k in BROKEN_EXPORTS if k.name == "utf16")
    export = _export("corporatie_huurachterstand", out, entry)
    path = _write(kind.make(export, SEEDED(7)), tmp_path / kind.name)
    env = {
        **kafka_env,
        "WIJKHUB_HUB_PUBLIC_KEY": str(keys / "hub.pub"),
        "WIJKHUB_STATE_DIR": str(tmp_path / "state"),
    }
    cmd = [sys.executable, "-m", "schemas.cli", "connector", "run", "corporation"]
    cmd += ["--input", str(path), "--mapping", str(out / entry["mapping"])]
    done = subprocess.run(cmd, env=env, capture_output=True, timeout=120, check=False)
    assert done.returncode == 1
    errors = [line for line in done.stderr.decode().splitlines() if line.startswith("wijkhub:")]
    assert errors == [
        f"wijkhub: error: {path}: the export looks like UTF-16 (a UTF-16 byte order mark or NUL "
        "bytes between the characters of its first line); save it as windows-1252 and run it "
        "again"
    ]
    assert "Traceback" not in done.stderr.decode()
    assert not (tmp_path / "state" / "corporatie-woonstad.RentArrearsSignal.state.json").exists()


@pytest.mark.parametrize("stem", ["corporatie_huurachterstand", "school_verzuim", "gemeente_werk"])
def test_a_one_row_date_typo_rejects_that_row_and_keeps_its_event(
    exports, keys, topics, tmp_path, stem
):
    out, truth = exports
    first, second = entry_for(truth, stem, "2026-01"), entry_for(truth, stem, "2026-02")
    clean_state, typo_state = tmp_path / "clean", tmp_path / "typo"
    clean = connector(first, out, clean_state, topics, keys)
    clean.run(out / first["file"], rejects_path=tmp_path / "r.csv", progress=False)
    copy_state(clean_state, typo_state)  # the same month 1, the same row-key secret

    # a row present in both months, so that resolving it would be wrong
    keep = set(_rows(first)) & set(_rows(second))
    row = next(r for r in second["valid"] if tuple(r["key"]) in keep)
    line = row["line"]
    body_row = line - (2 if layout(stem).format == "csv" else 1)
    made = one_date_typo(_export(stem, out, second), SEEDED(1), row=body_row)
    path = _write(made, tmp_path / "typo-export")
    date_column = layout(stem).date_column
    typo = connector(second, out, typo_state, topics, keys)
    summary = typo.run(path, rejects_path=tmp_path / "typo.csv", progress=False)
    rejects = (tmp_path / "typo.csv").read_text().splitlines()
    assert any(
        r.startswith(f"{line},{date_column},date outside the plausible window") for r in rejects
    ), rejects
    assert summary.held == 1
    before = _rows(first)
    resolved_want = sum(1 for key in before if key not in _rows(second))
    assert summary.changes.get("resolved", 0) == resolved_want  # not one more

    again = connector(second, out, typo_state, topics, keys).run(
        out / second["file"], rejects_path=tmp_path / "again.csv", progress=False
    )
    assert again.published == 1  # the typo row, now read: observed or updated
    clean_view_state = tmp_path / "clean2"
    copy_state(clean_state, clean_view_state)
    connector(second, out, clean_view_state, topics, keys).run(
        out / second["file"], rejects_path=tmp_path / "c.csv", progress=False
    )
    assert _rows_of(typo_state) == _rows_of(clean_view_state)


def _rows_of(state: Path) -> dict:
    doc = json.loads(next(state.glob("*.state.json")).read_text())
    return {k: (v["digest"], v["facts"]) for k, v in doc["rows"].items()}


def _cli(env, *args):
    cmd = [sys.executable, "-m", "schemas.cli", "connector", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_wrong_snapshot_is_rolled_back_and_corrected_without_duplicates(
    exports, keys, topics, kafka_env, tmp_path, *, unique_name
):
    """A wrong month 2 (60 % of its rows: under the resolve guard) is accepted; `state show`
    lists the generations, `state rollback --to 1` takes the hub back to month 1, and the
    correct month 2 then leaves the hub exactly where a clean run leaves it."""
    out, truth = exports
    stem = "corporatie_huurachterstand"
    first, second = entry_for(truth, stem, "2026-01"), entry_for(truth, stem, "2026-02")
    export = _export(stem, out, second)
    body = export.body[: len(export.body) * 6 // 10]
    wrong = tmp_path / "wrong" / second["file"]
    wrong.parent.mkdir()
    wrong.write_bytes(type(export)(export.layout, export.name, (*export.header, *body)).to_bytes())
    mapping = str(out / first["mapping"])
    env = {
        **kafka_env,
        "WIJKHUB_HUB_PUBLIC_KEY": str(keys / "hub.pub"),
        "WIJKHUB_STATE_DIR": str(tmp_path / "state"),
    }
    for path in (out / first["file"], wrong):
        done = _cli(env, "run", "corporation", "--input", str(path), "--mapping", mapping)
        assert done.returncode == 3, done.stderr
    assert "resolved" in done.stdout

    shown = _cli(env, "state", "show", "corporation", "--mapping", mapping)
    assert shown.returncode == 0, shown.stderr
    assert "generation 2, as of 2026-02-01" in shown.stdout
    assert "  generation 1  as of 2026-01-01" in shown.stdout
    back = _cli(env, "state", "rollback", "corporation", "--mapping", mapping, "--to", "1")
    assert back.returncode == 0, back.stderr
    assert "opened" in back.stdout  # what the wrong snapshot resolved is open again
    again = _cli(env, "state", "rollback", "corporation", "--mapping", mapping, "--to", "1")
    assert "published 0," in again.stdout  # repeating it publishes nothing
    done = _cli(
        env, "run", "corporation", "--input", str(out / second["file"]), "--mapping", mapping
    )
    assert done.returncode == 3, done.stderr

    messages = checked_messages(topics, TOPIC_OF[stem], keys)
    ids = Counter(dict(m.headers)["ce_id"] for m, _, _ in messages)
    assert max(ids.values()) == 1
    clean = KafkaSettings(bootstrap_servers=topics.bootstrap_servers, topic_prefix=unique_name("c"))
    ensure_topics(clean, catalogue=(topic_spec(TOPIC_OF[stem]),))
    clean_env = {**env, "WIJKHUB_TOPIC_PREFIX": clean.topic_prefix,
                 "WIJKHUB_STATE_DIR": str(tmp_path / "clean")}  # fmt: skip
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "row-key.secret").write_bytes(
        (tmp_path / "state" / "row-key.secret").read_bytes()
    )
    for entry in (first, second):
        _cli(
            clean_env,
            "run",
            "corporation",
            "--input",
            str(out / entry["file"]),
            "--mapping",
            mapping,
        )
    assert hub_view(messages) == hub_view(checked_messages(clean, TOPIC_OF[stem], keys))
    # and no event told the hub what it already had
    last: dict = {}
    for _, record, subject in messages:
        now = (record.status.value, facts(record))
        if now[0] in ("opened", "updated"):
            assert last.get(subject) != ("open", now[1]), ("repeated", now)
        last[subject] = (None if now[0] == "resolved" else "open", now[1])


def test_a_delta_source_has_nothing_to_roll_back(exports, keys, topics, tmp_path):
    out, truth = exports
    entry = entry_for(truth, "gemeente_toestemming", "2026-01")
    con = connector(entry, out, tmp_path / "state", topics, keys)
    with pytest.raises(StateError, match="a delta source: there is no snapshot to roll back"):
        rollback(con, 1)
