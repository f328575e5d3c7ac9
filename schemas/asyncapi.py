"""The AsyncAPI 3.0 document of every wijkhub topic, message and schema version.

Generated from the catalogue and the kept ``.avsc`` files, so it never drifts from them:
``wijkhub asyncapi --out wijkhub.asyncapi.json``.
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from schemas._cloudevents import CONTENT_TYPE
from schemas._registry import RecordVersions, registry
from schemas.catalogue import CATALOGUE, TopicSpec

__all__ = ["AVRO_SCHEMA_FORMAT", "asyncapi_document"]

AVRO_SCHEMA_FORMAT = "application/vnd.apache.avro+json;version=1.9.0"
_KAFKA_BINDING = "0.5.0"
_KEY_FORMAT = {"event_id": "uuid", "feedback_id": "uuid", "entry_id": "uuid",
               "quarantine id": "uuid"}  # fmt: skip
_RAW = {  # topics of raw original messages: name, title, summary of their one message
    "quarantine.v1": ("ParkedRecord", "Parked record", "The original key, value and headers "
                      "of a consent record the hub could not read (or of a record held behind "
                      "it), plus q_* headers: its state, reason and where it was read."),
}  # fmt: skip
_INT_CONFIGS = (
    "delete.retention.ms",
    "max.message.bytes",
)  # the binding's, where a topic sets them
_DEAD_LETTER = ("RawDeadLetter", "Dead letter",
                "The original key, value and headers of an undeliverable message.")  # fmt: skip


def _raw_name(spec: TopicSpec) -> str:
    return _RAW.get(spec.name, _DEAD_LETTER)[0]


def _package_version() -> str:
    try:
        return version("wijkhub")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def _channel_id(spec: TopicSpec) -> str:
    parts = re.split(r"[.\-]", spec.name.removesuffix(".v1"))
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


def _headers(entry: RecordVersions) -> dict[str, Any]:
    def text(description: str, **extra: Any) -> dict[str, Any]:
        return {"type": "string", "description": description, **extra}

    uris = [v.uri for v in entry.versions]
    return {
        "type": "object",
        "description": "CloudEvents 1.0 attributes in binary mode (Kafka protocol binding), "
        "after the NL GOV profile for CloudEvents. Header values are UTF-8 bytes.",
        "required": [
            "ce_specversion",
            "ce_id",
            "ce_source",
            "ce_type",
            "ce_time",
            "ce_dataschema",
            "content-type",
        ],
        "properties": {
            "ce_specversion": text("CloudEvents version.", const="1.0"),
            "ce_id": text(f"Equals the record's {entry.spec.id_field}.", format="uuid"),
            "ce_source": text(
                "URN of the publishing organisation and system, e.g. "
                "urn:nld:oin:<OIN>:systeem:<system> or urn:nld:kvknr:<KvK>.<system>.",
                format="uri",
            ),
            "ce_type": text("Event type (reverse DNS, domain-named).", const=entry.spec.ce_type),
            "ce_time": text("When the event was logged (RFC 3339, UTC).", format="date-time"),
            "ce_dataschema": text("The writer schema version.", enum=uris),
            "content-type": text(
                "Avro single-object encoding: C3 01, the 8-byte little-endian CRC-64-AVRO "
                "fingerprint of the schema's Parsing Canonical Form, then the Avro binary body.",
                const=CONTENT_TYPE.decode(),
            ),
        },
    }


def _message(entry: RecordVersions) -> dict[str, Any]:
    current = entry.current
    doc = current.schema.get("doc", "")
    prefixes = ", ".join(f"v{v.version}: {v.prefix.hex()}" for v in entry.versions)
    return {
        "name": entry.spec.name,
        "title": entry.spec.name,
        "summary": doc,
        "description": f"{doc}\n\nThe value starts with the 10 bytes of its schema version "
        f"({prefixes}); the body follows the current version v{current.version}.",
        "contentType": CONTENT_TYPE.decode(),
        "headers": _headers(entry),
        "payload": {"$ref": f"#/components/schemas/{entry.spec.name}.v{current.version}"},
        "x-fingerprints": {f"v{v.version}": v.fingerprint.hex() for v in entry.versions},
    }


def _channel(spec: TopicSpec, prefix: str) -> dict[str, Any]:
    key: dict[str, Any] = {"type": "string", "description": f"UTF-8 {spec.key}"}
    if spec.key in _KEY_FORMAT:
        key["format"] = _KEY_FORMAT[spec.key]
    names = [r.avro_name for r in spec.records]
    raw_name, title, summary = _RAW.get(spec.name, _DEAD_LETTER)
    raw = {
        "name": raw_name,
        "title": title,
        "summary": summary,
        "contentType": "application/octet-stream",
        "payload": {"type": "string", "format": "binary"},
    }
    messages: dict[str, dict[str, Any]] = {
        n: {"$ref": f"#/components/messages/{n}"} for n in names
    } or {raw_name: raw}
    for message in messages.values():
        message["bindings"] = {"kafka": {"key": key, "bindingVersion": _KAFKA_BINDING}}
    config = spec.config()
    return {
        "address": f"{prefix}.{spec.name}",
        "title": spec.name,
        "description": f"{spec.description}\n\nWriters: {', '.join(sorted(spec.writers))}. "
        f"Readers: {', '.join(sorted(spec.readers))}.",
        "messages": messages,
        "bindings": {
            "kafka": {
                "topic": f"{prefix}.{spec.name}",
                "partitions": spec.partitions,
                "replicas": spec.replication,
                "topicConfiguration": {
                    "cleanup.policy": config["cleanup.policy"].split(","),
                    "retention.ms": int(config["retention.ms"]),
                    **{k: int(config[k]) for k in _INT_CONFIGS if k in config},
                },
                "bindingVersion": _KAFKA_BINDING,
            }
        },
        "x-writers": sorted(spec.writers),
        "x-readers": sorted(spec.readers),
        "x-min-insync-replicas": int(config["min.insync.replicas"]),
    }


def _operations(spec: TopicSpec, channel_id: str) -> dict[str, Any]:
    messages = [
        {"$ref": f"#/channels/{channel_id}/messages/{n}"}
        for n in ([r.avro_name for r in spec.records] or [_raw_name(spec)])
    ]
    ops = {}
    for action, roles in (("send", spec.writers), ("receive", spec.readers)):
        op_id = f"{action}{channel_id[0].upper()}{channel_id[1:]}"
        ops[op_id] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "title": f"{action} {spec.name}",
            "summary": f"Allowed for: {', '.join(sorted(roles))}.",
            "messages": messages,
        }
    return ops


def asyncapi_document(*, prefix: str = "wijkhub", server: str = "127.0.0.1:9092") -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document (JSON data) for topics under ``prefix``."""
    reg = registry()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for spec in CATALOGUE:
        channel_id = _channel_id(spec)
        channels[channel_id] = _channel(spec, prefix)
        operations |= _operations(spec, channel_id)
    schemas = {
        f"{entry.spec.name}.v{v.version}": {"schemaFormat": AVRO_SCHEMA_FORMAT, "schema": v.schema}
        for entry in reg.records
        for v in entry.versions
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "wijkhub event contracts",
            "version": _package_version(),
            "description": "Topics, messages and Avro schemas of wijkhub, the event hub of the "
            "integrale wijkaanpak (Wonen, School, Werk). Values are Avro single-object encoded; "
            "headers are CloudEvents 1.0 (binary mode, NL GOV profile). See docs/contracts.md.",
            "license": {"name": "EUPL-1.2", "url": "https://eupl.eu/1.2/en/"},
        },
        "defaultContentType": CONTENT_TYPE.decode(),
        "servers": {
            "local": {
                "host": server,
                "protocol": "kafka",
                "description": "The local development broker; partners get their own address "
                "and SASL/SCRAM credentials.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": {entry.spec.name: _message(entry) for entry in reg.records},
            "schemas": schemas,
        },
    }
