"""The generated AsyncAPI document is valid AsyncAPI 3.0.0 and covers the whole catalogue."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from asyncapi_spec import SpecUnavailableError, spec_path

from schemas.asyncapi import asyncapi_document
from schemas.catalogue import CATALOGUE
from schemas.cli import main


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    try:
        path = spec_path()
    except SpecUnavailableError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"AsyncAPI JSON Schema unavailable: {exc}", pytrace=False)
        pytest.skip(f"AsyncAPI JSON Schema unavailable: {exc}")
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$id"] == "http://asyncapi.com/definitions/3.0.0/asyncapi.json"
    return jsonschema.Draft7Validator(schema)


def _errors(validator: jsonschema.Draft7Validator, doc: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(doc)]


def test_document_is_valid_asyncapi_3(validator: jsonschema.Draft7Validator) -> None:
    assert _errors(validator, asyncapi_document()) == []


@pytest.mark.parametrize(
    "break_it",
    [
        lambda d: d["channels"]["proposals"]["bindings"]["kafka"].update(partitions="twelve"),
        lambda d: d["operations"]["sendProposals"].update(action="publish"),
        lambda d: d["components"]["messages"]["AuditEntry"].update(payload=5),
        lambda d: d.update(asyncapi="2.6.0"),
    ],
    ids=["binding", "action", "payload", "version"],
)
def test_validator_catches_a_broken_document(
    validator: jsonschema.Draft7Validator, break_it: Any
) -> None:
    doc = copy.deepcopy(asyncapi_document())
    break_it(doc)
    assert _errors(validator, doc)


def test_every_topic_message_and_version_is_described() -> None:
    doc = asyncapi_document(prefix="acme")
    addresses = {c["address"] for c in doc["channels"].values()}
    assert addresses == {f"acme.{spec.name}" for spec in CATALOGUE}
    for spec in CATALOGUE:
        (channel,) = [c for c in doc["channels"].values() if c["title"] == spec.name]
        assert channel["bindings"]["kafka"]["partitions"] == spec.partitions
        for record in spec.records:
            assert record.avro_name in channel["messages"]
    messages = doc["components"]["messages"]
    assert len(messages) == 10
    for name, message in messages.items():
        payload = doc["components"]["schemas"][message["payload"]["$ref"].rsplit("/", 1)[1]]
        assert payload["schema"]["name"] == name
        assert set(message["headers"]["required"]) >= {"ce_id", "ce_type", "ce_source"}
        assert message["x-fingerprints"]


def test_cli_writes_the_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIJKHUB_TOPIC_PREFIX", "wijkhub")
    out = tmp_path / "wijkhub.asyncapi.json"
    assert main(["asyncapi", "--out", str(out)]) == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["asyncapi"] == "3.0.0"
    assert written["channels"] == json.loads(json.dumps(asyncapi_document()["channels"]))
