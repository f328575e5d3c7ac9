"""A connector run's summary in node_exporter's textfile format (``WIJKHUB_METRICS_TEXTFILE``):
real ``wijkhub connector run`` processes on the real broker; the file is read back with
Prometheus' own parser. A failed run says so and keeps the last success's time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from connectors.synthetic.generate import TRUTH_FILE, generate
from schemas.catalogue import ensure_topics
from schemas.settings import KafkaSettings
from streams.ingress.keys import init_keys

pytestmark = pytest.mark.integration


def parse(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(path.read_text("utf-8"))
        for s in family.samples
    }


def value(samples, name: str, **labels: str) -> float:
    [found] = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls)]
    return found


def test_a_run_writes_its_summary_and_a_failed_run_says_so(
    kafka_settings: KafkaSettings, kafka_env: dict[str, str], tmp_path: Path
) -> None:
    ensure_topics(kafka_settings)
    init_keys(tmp_path / "keys")
    generate(tmp_path / "exports", households=200, seed=7, months=1)
    truth = json.loads((tmp_path / "exports" / TRUTH_FILE).read_text())
    entry = next(e for e in truth["files"] if e["file"].startswith("school"))
    prom = tmp_path / "textfile" / "wijkhub-school.prom"
    env = {
        **kafka_env,
        "WIJKHUB_HUB_PUBLIC_KEY": str(tmp_path / "keys" / "hub.pub"),
        "WIJKHUB_STATE_DIR": str(tmp_path / "state"),
        "WIJKHUB_METRICS_TEXTFILE": str(prom),
    }
    mapping = tmp_path / "exports" / entry["mapping"]

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "schemas.cli", "connector", "run", entry["partner"],
               "--input", str(path), "--mapping", str(mapping)]  # fmt: skip
        return subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    first = run(tmp_path / "exports" / entry["file"])
    assert first.returncode in (0, 3), first.stderr[-2000:]
    got = parse(prom)
    print("\n--- connector textfile ---\n" + prom.read_text())
    assert value(got, "wijkhub_connector_last_run_exit_code", partner="school") == first.returncode
    published = value(got, "wijkhub_connector_last_run_rows", kind="published")
    read = value(got, "wijkhub_connector_last_run_rows", kind="read")
    valid = value(got, "wijkhub_connector_last_run_rows", kind="valid")
    assert published == valid > 0  # a first snapshot: every valid row is new
    rejected = value(got, "wijkhub_connector_last_run_rows", kind="rejected")
    assert read == valid + rejected
    assert f"read {int(read)}, valid {int(valid)}, rejected {int(rejected)}" in first.stdout
    success = value(got, "wijkhub_connector_last_success_timestamp_seconds")
    assert success == value(got, "wijkhub_connector_last_run_timestamp_seconds")
    assert not [k for k in got if k[0] == "wijkhub_connector_last_run_failed"]

    failed = run(tmp_path / "exports" / "missing.csv")
    assert failed.returncode == 1
    after = parse(prom)
    assert value(after, "wijkhub_connector_last_run_exit_code") == 1
    assert value(after, "wijkhub_connector_last_run_failed") == 1
    assert value(after, "wijkhub_connector_last_success_timestamp_seconds") == success
    assert value(after, "wijkhub_connector_last_run_timestamp_seconds") > success
    assert not list(prom.parent.glob("*.tmp*")), "written atomically: no temporary file left"
