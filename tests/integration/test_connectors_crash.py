"""SIGKILL mid-run, then run again: every valid row is on the topic exactly once.

The connector process kills itself (``WIJKHUB_CRASH_AT``, see ``connectors/_crashpoints.py``)
inside each window that matters: with messages queued but unconfirmed, between confirmed
batches, and after every message was confirmed but before the checkpoint was written. A
chained case crashes three times in a row on one export before the run that finishes.
"""

from __future__ import annotations

import json
import signal
from collections import Counter

import pytest
from test_connectors import consume, decoded, published, run_connector

from connectors.synthetic.generate import TRUTH_FILE, generate
from schemas.catalogue import ensure_topics, topic_spec
from streams.ingress.keys import init_keys

pytestmark = pytest.mark.integration

TOPIC = "ingest.wonen.v1"
BATCH = {"WIJKHUB_CONFIRM_EVERY": "200"}


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    out = tmp_path_factory.mktemp("exports")
    generate(out, households=10_000, seed=4711, months=2)
    truth = json.loads((out / TRUTH_FILE).read_text())
    entries = [e for e in truth["files"] if e["file"].startswith("corporatie")]
    return out, entries


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("keys")
    init_keys(directory)
    return directory


@pytest.fixture
def env(kafka_settings, kafka_env, keys_dir, tmp_path):
    ensure_topics(kafka_settings, catalogue=(topic_spec(TOPIC),))
    return {
        **kafka_env,
        "WIJKHUB_HUB_PUBLIC_KEY": str(keys_dir / "hub.pub"),
        "WIJKHUB_STATE_DIR": str(tmp_path / "state"),
        **BATCH,
    }


def _crash(env, out, entry, tmp_path, point: str) -> int:
    result, _ = run_connector(env, out, entry, tmp_path, {"WIJKHUB_CRASH_AT": point})
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()[-2000:]
    return len(consume_settings(env))


def consume_settings(env):
    from schemas.settings import KafkaSettings

    settings = KafkaSettings(
        bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"], topic_prefix=env["WIJKHUB_TOPIC_PREFIX"]
    )
    return consume(settings, TOPIC)


def _exactly_once(env, keys_dir, entry):
    records = consume_settings(env)
    ids = Counter(dict(r.headers)["ce_id"] for r in records)
    assert max(ids.values()) == 1
    assert len(records) == len(entry["valid"])
    subjects = Counter(cid for cid, _ in decoded(records, keys_dir))
    assert subjects == Counter(row["id"] for row in entry["valid"])


@pytest.mark.parametrize(
    ("point", "on_topic"),
    [
        ("queued:500", range(0, 500)),  # killed with up to 500 messages in flight
        ("confirmed:2", range(400, 800)),  # two batches of 200 confirmed, more to come
        ("delivered", None),  # all confirmed, checkpoint not written
    ],
)
def test_sigkill_then_rerun_gives_each_valid_row_once(
    export, env, keys_dir, tmp_path, *, point, on_topic
):
    out, entries = export
    entry = entries[0]
    valid = len(entry["valid"])
    after_crash = _crash(env, out, entry, tmp_path, point)
    assert after_crash in (on_topic or range(valid, valid + 1))

    result, _ = run_connector(env, out, entry, tmp_path)
    assert result.returncode == 3, result.stderr.decode()[-2000:]
    counts = published(result)
    assert counts["already published"] == after_crash
    assert counts["published"] == valid - after_crash
    _exactly_once(env, keys_dir, entry)

    again, _ = run_connector(env, out, entry, tmp_path)
    assert published(again)["published"] == 0
    _exactly_once(env, keys_dir, entry)


def test_three_crashes_in_a_row_on_a_second_snapshot(export, env, keys_dir, tmp_path):
    out, entries = export
    first, second = entries
    assert run_connector(env, out, first, tmp_path)[0].returncode == 3
    before = len(consume_settings(env))
    for point in ("in-flight", "queued:300", "confirmed:1"):
        _crash(env, out, second, tmp_path, point)
    result, _ = run_connector(env, out, second, tmp_path)
    assert result.returncode == 3, result.stderr.decode()[-2000:]
    counts = published(result)
    records = consume_settings(env)
    ids = Counter(dict(r.headers)["ce_id"] for r in records)
    assert max(ids.values()) == 1
    assert len(records) - before == counts["published"] + counts["already published"]
    assert counts["already published"] >= 200


def test_after_a_crash_another_export_must_wait(export, env, keys_dir, tmp_path):
    out, entries = export
    first, second = entries
    _crash(env, out, first, tmp_path, "confirmed:1")
    refused, _ = run_connector(env, out, second, tmp_path)
    assert refused.returncode == 1
    assert "run that export again first" in refused.stderr.decode()
    finished, _ = run_connector(env, out, first, tmp_path)
    assert finished.returncode == 3
    _exactly_once(env, keys_dir, first)
