"""Apache Avro for Java reads our messages with BinaryMessageDecoder, and its fingerprints
(SchemaNormalization.parsingFingerprint64) equal ours. Java and Maven are on every wijkhub
machine (the local broker needs them); without them this skips, except in CI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemas_strategies import model_strategy

import schemas
from schemas._avrogen import AVRO_DIR
from schemas._registry import registry
from schemas.codec import encode
from schemas.models import TOP_LEVEL_RECORDS, ContractModel

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CACHE = ROOT / ".wijkhub" / "cache" / "avro-java"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def java_decode() -> object:
    java, mvn = shutil.which("java"), shutil.which("mvn")
    if not java or not mvn:
        _unavailable("java and mvn are needed to resolve and run Apache Avro for Java")
    classpath = CACHE / "classpath.txt"
    if not classpath.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [mvn, "-q", "-f", str(HERE / "java" / "pom.xml"), "dependency:build-classpath",
             f"-Dmdep.outputFile={classpath}"],
            capture_output=True, text=True, check=False, timeout=600,
        )  # fmt: skip
        if result.returncode != 0:
            _unavailable(f"mvn could not resolve org.apache.avro:avro: {result.stdout[-500:]}")

    def run(values: list[bytes], tmp: Path) -> tuple[dict[str, str], list[str]]:
        messages = tmp / "messages.hex"
        messages.write_text("\n".join(v.hex() for v in values), encoding="ascii")
        result = subprocess.run(
            [java, "-cp", classpath.read_text().strip(), str(HERE / "java" / "DecodeCheck.java"),
             str(AVRO_DIR), str(messages)],
            capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]
        fingerprints, records = {}, []
        for line in result.stdout.splitlines():
            kind, _, rest = line.partition(" ")
            if kind == "fingerprint":
                path, fp = rest.rsplit(" ", 1)
                fingerprints[str(Path(path).resolve())] = fp
            elif kind == "record":
                records.append(rest)
        return fingerprints, records

    return run


SOURCE = "urn:nld:kvknr:00000000.wijkhub-test"


def test_java_fingerprints_equal_ours(java_decode, tmp_path: Path) -> None:
    fingerprints, _ = java_decode([], tmp_path)
    ours = {
        str(v.path.resolve()): v.fingerprint.hex() for r in registry().records for v in r.versions
    }
    assert fingerprints == ours


def test_java_binary_message_decoder_reads_every_record(java_decode, tmp_path: Path) -> None:
    samples: list[ContractModel] = []

    @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.tuples(*(model_strategy(m) for m in TOP_LEVEL_RECORDS)))
    def collect(records: tuple[ContractModel, ...]) -> None:
        samples.extend(records)

    collect()
    _, decoded = java_decode([encode(r, source=SOURCE).value for r in samples], tmp_path)
    assert len(decoded) == len(samples)
    for record, text in zip(samples, decoded, strict=True):
        assert _raw(record.model_dump()) == _without_bytes(json.loads(text)), type(record)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _raw(value: object) -> object:
    """A model dump as Java's GenericRecord prints it: logical types as their raw numbers."""
    if isinstance(value, dict):
        return {k: _raw(v) for k, v in value.items() if not isinstance(v, bytes)}
    if isinstance(value, list | tuple):
        return [_raw(v) for v in value]
    if isinstance(value, datetime):
        return (value - EPOCH) // timedelta(microseconds=1)
    if isinstance(value, date):
        return (value - EPOCH.date()).days
    if isinstance(value, UUID | StrEnum):
        return str(value)
    return value


def _without_bytes(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_bytes(v) for k, v in value.items() if k != "sealed_subject"}
    if isinstance(value, list):
        return [_without_bytes(v) for v in value]
    return value


def test_java_reads_a_known_signal_exactly(java_decode, tmp_path: Path) -> None:
    signal = schemas.RentArrearsSignal(
        event_id=UUID("6f1c1a52-3b1e-4f5e-9d7a-2b8c4d5e6f70"),
        occurred_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        source="corporatie-test",
        sealed_subject=b"\x00\x01",
        buurt_code="BU03630000",
        status="opened",
        since=date(2026, 1, 1),
        arrears_band="two_months",
        eviction_risk=True,
    )
    _, (text,) = java_decode([encode(signal, source=SOURCE).value], tmp_path)
    datum = json.loads(text)
    assert datum["event_id"] == "6f1c1a52-3b1e-4f5e-9d7a-2b8c4d5e6f70"
    assert datum["occurred_at"] == 1772357400000000
    assert datum["since"] == 20454
    assert (datum["status"], datum["arrears_band"], datum["eviction_risk"]) == (
        "opened", "two_months", True,
    )  # fmt: skip
    assert datum["buurt_code"] == "BU03630000"
