"""The connectors on the real broker: a generated 10,000-household export is published exactly
as the ground truth says, a second monthly snapshot gives exactly the implied events, a re-run
adds nothing, and no postcode from the input reaches a topic, the rejects file or the logs.

Every connector run is a real ``wijkhub connector run`` process.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from connectors.synthetic.generate import TRUTH_FILE, generate
from schemas.catalogue import ensure_topics, topic_spec
from schemas.codec import decode
from schemas.settings import KafkaSettings
from schemas.topic_reader import read_to_end
from streams.ingress.keys import init_keys, load_keys, unseal

pytestmark = pytest.mark.integration

TOPICS = {
    "corporatie": "ingest.wonen.v1",
    "school": "ingest.school.v1",
    "gemeente_werk": "ingest.werk.v1",
    "gemeente_toestemming": "ingest.consent.v1",
}
POSTCODE = re.compile(rb"(?<![0-9])[1-9][0-9]{3} ?[A-Za-z]{2}(?![A-Za-z])")


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    out = tmp_path_factory.mktemp("exports")
    generate(out, households=10_000, seed=2026, months=2)
    return out, json.loads((out / TRUTH_FILE).read_text())


@pytest.fixture(scope="module")
def hub_keys(tmp_path_factory):
    directory = tmp_path_factory.mktemp("keys")
    init_keys(directory)
    return directory


@pytest.fixture
def hub(kafka_settings, kafka_env, hub_keys, tmp_path):
    """Ingest topics of this test, and the environment of a connector process."""
    ensure_topics(kafka_settings, catalogue=tuple(topic_spec(t) for t in TOPICS.values()))
    env = {
        **kafka_env,
        "WIJKHUB_HUB_PUBLIC_KEY": str(hub_keys / "hub.pub"),
        "WIJKHUB_STATE_DIR": str(tmp_path / "state"),
    }
    return kafka_settings, env


def entry_for(truth, name_start: str, month: str) -> dict:
    return next(
        e for e in truth["files"] if e["file"].startswith(name_start) and e["month"] == month
    )


def topic_of(entry) -> str:
    return next(t for prefix, t in TOPICS.items() if entry["file"].startswith(prefix))


def run_connector(env, out: Path, entry, tmp_path: Path, extra_env=None):
    rejects = tmp_path / f"{entry['file']}.rejects.csv"
    cmd = [sys.executable, "-m", "schemas.cli", "connector", "run", entry["partner"]]
    cmd += ["--input", str(out / entry["file"]), "--mapping", str(out / entry["mapping"])]
    cmd += ["--rejects", str(rejects)]
    result = subprocess.run(
        cmd, env={**env, **(extra_env or {})}, capture_output=True, timeout=120, check=False
    )
    return result, rejects


def published(result) -> dict[str, int]:
    text = result.stdout.decode()
    return {
        name: int(re.search(rf"{name} (\d+)", text).group(1))  # type: ignore[union-attr]
        for name in ("read", "valid", "rejected", "published", "already published")
    }


def consume(settings: KafkaSettings, relative: str) -> list:
    """Every message on a topic, from the beginning to the current end."""
    return read_to_end(settings, settings.topic(relative))


def decoded(records, keys_dir: Path) -> list[tuple[str, object]]:
    """(canonical id, record) of each message: what the hub ingress will see."""
    private = load_keys(keys_dir).private_key
    out = []
    for r in records:
        record = decode(r.value, r.headers, topic=r.topic, partition=r.partition, offset=r.offset)
        out.append((unseal(private, record.sealed_subject).decode(), record))
    return out


def input_postcodes(*paths: Path) -> set[bytes]:
    found: set[bytes] = set()
    for path in paths:
        found |= {m.replace(b" ", b"").upper() for m in POSTCODE.findall(path.read_bytes())}
    return found


# A postcode as a person or an export writes it: not inside a run of hex digits or a UUID,
# where four digits and two letters a-f occur by chance (the event ids on every topic).
WRITTEN_POSTCODE = re.compile(
    rb"(?<![0-9A-Za-z-])[1-9][0-9]{3} ?[A-Za-z]{2}(?![0-9A-Za-z-])"
    rb"|(?<![0-9A-Za-z-])[1-9][0-9]{3} ?[A-Z]{2}(?![A-Za-z])"
)


def leaked(data: bytes, postcodes: set[bytes]) -> set[bytes]:
    return {m.replace(b" ", b"").upper() for m in WRITTEN_POSTCODE.findall(data)} & postcodes


def test_ten_thousand_households_published_exactly_as_the_truth_says(
    exports, hub, hub_keys, tmp_path
):
    out, truth = exports
    settings, env = hub
    logs = b""
    for entry in (e for e in truth["files"] if e["month"] == "2026-01"):
        result, rejects = run_connector(env, out, entry, tmp_path)
        logs += result.stdout + result.stderr
        assert result.returncode == 3, result.stderr.decode()[-2000:]
        counts = published(result)
        assert counts["published"] == counts["valid"] == len(entry["valid"]), entry["file"]
        assert counts["rejected"] == len(entry["bad"])
        got = [(int(r["line"]), r["field"], r["reason"]) for r in csv.DictReader(rejects.open())]
        assert [(line, field) for line, field, _ in got] == [
            (b["line"], b["field"]) for b in entry["bad"]
        ]
        assert all(reason for _, _, reason in got)

        records = consume(settings, topic_of(entry))
        assert len(records) == len(entry["valid"])
        assert len({dict(r.headers)["ce_id"] for r in records}) == len(records)
        subjects = Counter(cid for cid, _ in decoded(records, hub_keys))
        assert subjects == Counter(row["id"] for row in entry["valid"])

        postcodes = input_postcodes(out / entry["file"])
        assert len(postcodes) > 100
        for r in records:
            raw = (r.key or b"") + r.value + b"".join(v for _, v in r.headers)
            assert not leaked(raw, postcodes), entry["file"]
        assert not leaked(rejects.read_bytes(), postcodes)
        assert not leaked(logs, postcodes)

        again, _ = run_connector(env, out, entry, tmp_path)  # a re-run adds nothing
        assert again.returncode == 3
        assert published(again)["published"] == 0
        assert len(consume(settings, topic_of(entry))) == len(entry["valid"])


def _expected(before: dict, after: dict, days: int, refresh: int) -> Counter:
    want: Counter = Counter()
    for key, (cid, facts) in after.items():
        if key not in before:
            want[(cid, "opened", facts)] += 1
        elif before[key][1] != facts:
            want[(cid, "updated", facts)] += 1
        elif days >= refresh:
            want[(cid, "observed", facts)] += 1
    for key, (cid, facts) in before.items():
        if key not in after:
            want[(cid, "resolved", facts)] += 1
    return want


@pytest.mark.parametrize(
    ("name", "facts"),
    [
        ("corporatie", ("since", "arrears_band", "eviction_risk", "buurt_code")),
        ("school", ("since", "kind")),
        ("gemeente_werk", ("since", "kind")),
    ],
)
def test_second_snapshot_gives_exactly_the_implied_events(
    exports, hub, hub_keys, tmp_path, *, name, facts
):
    out, truth = exports
    settings, env = hub
    months = []
    for month in ("2026-01", "2026-02"):
        entry = entry_for(truth, name, month)
        result, _ = run_connector(env, out, entry, tmp_path)
        assert result.returncode == 3, result.stderr.decode()[-2000:]
        months.append(
            {
                tuple(r["key"]): (r["id"], tuple(str(r["facts"][f]) for f in facts))
                for r in entry["valid"]
            }
        )
    want = _expected(months[0], months[1], days=31, refresh=30)
    assert {status for _, status, _ in want} == {"opened", "updated", "resolved", "observed"}

    got: Counter = Counter()
    for cid, record in decoded(consume(settings, TOPICS[name]), hub_keys):
        if record.occurred_at.date().isoformat() == "2026-02-01":
            values = tuple(
                str(
                    getattr(record, f).value
                    if hasattr(getattr(record, f), "value")
                    else getattr(record, f)
                )
                for f in facts
            )
            got[(cid, record.status.value, values)] += 1
    assert got == want


def test_consent_register_is_a_delta_published_once(exports, hub, hub_keys, tmp_path):
    out, truth = exports
    settings, env = hub
    total = 0
    for month in ("2026-01", "2026-02", "2026-02"):
        entry = entry_for(truth, "gemeente_toestemming", month)
        result, _ = run_connector(env, out, entry, tmp_path)
        assert result.returncode == 3
        total += published(result)["published"]
    records = decoded(consume(settings, TOPICS["gemeente_toestemming"]), hub_keys)
    want = Counter(
        (r["id"], r["facts"]["intake_ref"], r["facts"]["status"])
        for month in ("2026-01", "2026-02")
        for r in entry_for(truth, "gemeente_toestemming", month)["valid"]
    )
    assert total == len(records) == sum(want.values())
    assert Counter((cid, rec.intake_ref, rec.status.value) for cid, rec in records) == want


def test_dry_run_touches_neither_kafka_nor_state(exports, hub, tmp_path):
    out, truth = exports
    settings, env = hub
    entry = entry_for(truth, "corporatie", "2026-01")
    cmd = [sys.executable, "-m", "schemas.cli", "connector", "run", "corporation", "--dry-run"]
    cmd += ["--input", str(out / entry["file"]), "--mapping", str(out / entry["mapping"])]
    cmd += ["--rejects", str(tmp_path / "r.csv")]
    result = subprocess.run(cmd, env=env, capture_output=True, timeout=60, check=False)
    assert result.returncode == 3
    assert f"would publish {len(entry['valid'])}" in result.stdout.decode()
    assert consume(settings, TOPICS["corporatie"]) == []
    state = Path(env["WIJKHUB_STATE_DIR"])
    assert not any(p.name.endswith(".state.json") for p in state.iterdir())
    assert os.environ.get("WIJKHUB_CRASH_AT") is None
