"""Helpers for the connector integration tests that run connectors in this process on the
real broker: a connector for a generated export, the state directory's bytes, every message
on a topic decoded and checked, and the hub's view of a source folded from its events."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from connectors.config import ConnectorSettings
from connectors.partners import CONNECTORS
from connectors.runner import Connector
from connectors.synthetic.exports import EXPORTS, ExportLayout
from schemas.catalogue import topic_spec
from schemas.codec import decode
from schemas.identity import CANONICAL_PREFIX
from schemas.settings import KafkaSettings
from schemas.topic_reader import read_to_end
from streams.ingress.keys import load_keys, unseal

TOPIC_OF = {
    "corporatie_huurachterstand": "ingest.wonen.v1",
    "school_verzuim": "ingest.school.v1",
    "gemeente_werk": "ingest.werk.v1",
    "gemeente_toestemming": "ingest.consent.v1",
}
ENVELOPE = {"event_id", "occurred_at", "source", "sealed_subject", "status"}


def layout(stem: str) -> ExportLayout:
    return next(x for x in EXPORTS if x.stem == stem)


def entry_for(truth: dict[str, Any], stem: str, month: str) -> dict[str, Any]:
    return next(
        e for e in truth["files"] if e["file"].startswith(stem + "_") and e["month"] == month
    )


def connector(
    entry: dict[str, Any], out: Path, state: Path, kafka: KafkaSettings, keys: Path
) -> Connector:
    settings = ConnectorSettings(state_dir=state, hub_public_key=keys / "hub.pub")
    return CONNECTORS[entry["partner"]].from_mapping(out / entry["mapping"], settings, kafka)


def state_bytes(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` (the state, its history, the secret) and its bytes."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def copy_state(source: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)


def checked_messages(settings: KafkaSettings, topic: str, keys: Path) -> list[Any]:
    """Every message on ``topic`` decoded with the project's codec (headers checked, the
    record validated against its contract) and its sealed subject opened; raises if any
    message is not a valid event. Returns (message, record, canonical id) triples."""
    private = load_keys(keys).private_key
    expected = topic_spec(topic).records
    out = []
    for m in read_to_end(settings, settings.topic(topic)):
        record = decode(
            m.value, m.headers, topic=m.topic, partition=m.partition, offset=m.offset,
            expected=expected,
        )  # fmt: skip
        type(record).model_validate(record.model_dump())
        subject = unseal(private, record.sealed_subject).decode("ascii")
        assert subject.startswith(CANONICAL_PREFIX + "|"), subject[:4]
        out.append((m, record, subject))
    return out


def facts(record: Any) -> tuple[tuple[str, str], ...]:
    data = record.model_dump(mode="json", exclude=ENVELOPE)
    return tuple(sorted((k, str(v)) for k, v in data.items()))


def hub_view(messages: Iterable[Any]) -> dict[tuple[str, str], tuple[tuple[str, str], ...]]:
    """What the hub believes is open, per (household, pupil): the facts of the last event
    unless it resolved the row (snapshot sources; one row per household and pupil here)."""
    view: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}
    for _, record, subject in messages:
        key = (subject, str(getattr(record, "pupil_ref", "")))
        if record.status.value == "resolved":
            view.pop(key, None)
        else:
            view[key] = facts(record)
    return view
