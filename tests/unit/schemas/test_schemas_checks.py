"""The two CI checks on the schema tree: BACKWARD_TRANSITIVE compatibility and minimisation.
Each runs on the shipped tree, and on a candidate tree proving it catches what it must."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from schemas._avrogen import AVRO_DIR
from schemas.compatibility import check_backward_transitive, incompatibilities
from schemas.errors import MinimisationError, SchemaCompatibilityError
from schemas.minimisation import check_minimised, lint_schema


def test_shipped_schemas_are_backward_transitive() -> None:
    check_backward_transitive()


def test_shipped_schemas_are_minimised() -> None:
    check_minimised()


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "avro"
    shutil.copytree(AVRO_DIR, tree)
    return tree


def _v1(tree: Path, record: str) -> dict[str, Any]:
    return json.loads((tree / record / "v1.avsc").read_text(encoding="utf-8"))


def _write(tree: Path, record: str, version: int, schema: dict[str, Any]) -> None:
    (tree / record / f"v{version}.avsc").write_text(json.dumps(schema), encoding="utf-8")


def test_a_compatible_v2_passes(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    v1 = _v1(tree, "WorkSignal")
    added = {"name": "note_code", "type": ["null", "int"], "default": None, "doc": "An example."}
    _write(tree, "WorkSignal", 2, v1 | {"fields": [*v1["fields"], added]})
    assert incompatibilities(tree) == []


def _breaking_changes(v1: dict[str, Any]) -> dict[str, dict[str, Any]]:
    fields = v1["fields"]
    required = {"name": "risk_level", "type": "int", "doc": "A new field without default."}
    retyped = [dict(f, type="int") if f["name"] == "eviction_risk" else f for f in fields]
    fewer = []
    for f in fields:
        if f["name"] == "arrears_band":
            f = dict(f, type=dict(f["type"], symbols=f["type"]["symbols"][1:]))  # noqa: PLW2901
        fewer.append(f)
    return {
        "new field without a default": v1 | {"fields": [*fields, required]},
        "type changed": v1 | {"fields": retyped},
        "enum symbol removed": v1 | {"fields": fewer},
        "record renamed": v1 | {"name": "RentArrearsSignalV2"},
    }


@pytest.mark.parametrize("change", list(_breaking_changes(_v1(AVRO_DIR, "RentArrearsSignal"))))
def test_a_breaking_v2_is_caught(tmp_path: Path, change: str) -> None:
    tree = _tree(tmp_path)
    _write(tree, "RentArrearsSignal", 2, _breaking_changes(_v1(tree, "RentArrearsSignal"))[change])
    with pytest.raises(SchemaCompatibilityError, match="RentArrearsSignal") as info:
        check_backward_transitive(tree)
    assert "v1" in str(info.value)


def test_transitive_means_against_every_earlier_version(tmp_path: Path) -> None:
    """v2 adds a defaulted field, v3 drops its default: v3 reads v2 but not v1."""
    tree = _tree(tmp_path)
    v1 = _v1(tree, "WorkSignal")
    extra = {"name": "x_code", "type": ["null", "int"], "default": None, "doc": "Example."}
    _write(tree, "WorkSignal", 2, v1 | {"fields": [*v1["fields"], extra]})
    strict = {"name": "x_code", "type": ["null", "int"], "doc": "Example."}
    _write(tree, "WorkSignal", 3, v1 | {"fields": [*v1["fields"], strict]})
    problems = incompatibilities(tree)
    assert problems
    assert all("v3 cannot read v1" in p for p in problems)


def _record(*fields: dict[str, Any], name: str = "Leaky") -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "nl.wijkhub", "doc": "x",
            "fields": list(fields)}  # fmt: skip


REF = {"pattern": "^[A-Za-z0-9-]+$", "maxLength": 32}


@pytest.mark.parametrize(
    ("field", "problem"),
    [
        ({"name": "first_name", "type": "string", "doc": "x", **REF}, "direct identifier"),
        ({"name": "bsn", "type": "string", "doc": "x", **REF}, "'bsn'"),
        ({"name": "dateOfBirth", "type": {"type": "int", "logicalType": "date"}, "doc": "x"},
         "'birth'"),
        ({"name": "postcode", "type": "string", "doc": "x", **REF}, "'postcode'"),
        ({"name": "huisnummer", "type": "int", "doc": "x"}, "'huisnummer'"),
        ({"name": "phone", "type": ["null", "string"], "doc": "x", **REF}, "'phone'"),
        ({"name": "contact_email", "type": "string", "doc": "x", **REF}, "'email'"),
        ({"name": "iban", "type": "string", "doc": "x", **REF}, "'iban'"),
        ({"name": "toelichting", "type": "string", "doc": "x", **REF}, "'toelichting'"),
        ({"name": "arrears", "type": "long", "doc": "Arrears amount in euros."}, "amount"),
        ({"name": "rent_amount", "type": "long", "doc": "x"}, "amount"),
        ({"name": "ratio", "type": "double", "doc": "x"}, "band"),
        ({"name": "reason", "type": "string", "doc": "Why it was closed."}, "anchored 'pattern'"),
        ({"name": "code", "type": "string", "doc": "x", "pattern": "^.{1,500}$",
          "maxLength": 500}, "free text"),
        ({"name": "code", "type": "string", "doc": "x", "pattern": "^[A-Za-z ]+$",
          "maxLength": 50}, "free text"),
        ({"name": "code", "type": "string", "doc": "x", "pattern": "^[A-Z]+$"}, "maxLength"),
        ({"name": "extra", "type": {"type": "map", "values": "string"}, "doc": "x"}, "map"),
        ({"name": "blob", "type": "bytes", "doc": "x"}, "bytes"),
        ({"name": "ref", "type": "string", "doc": "The tenant's full name.", **REF}, "doc"),
        ({"name": "who", "type": {"type": "array", "items": _record(
            {"name": "street", "type": "string", "doc": "x", **REF}, name="Inner")}, "doc": "x"},
         "'street'"),
    ],
)  # fmt: skip
def test_lint_catches_what_could_hold_personal_data(field: dict[str, Any], problem: str) -> None:
    findings = lint_schema(_record(field))
    assert findings, f"{field['name']} was not flagged"
    assert any(problem in f.problem for f in findings), [str(f) for f in findings]


def test_lint_passes_negated_docs_and_constrained_fields() -> None:
    fine = _record(
        {"name": "pupil_ref", "type": "string", "doc": "Opaque; never a name or BSN.", **REF},
        {"name": "sealed_subject", "type": "bytes", "doc": "Sealed ciphertext."},
        {"name": "since", "type": {"type": "int", "logicalType": "date"}, "doc": "Start date."},
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}, "doc": "Event id."},
    )
    assert lint_schema(fine) == []


def test_check_minimised_names_file_and_field(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    v1 = _v1(tree, "WorkSignal")
    leak = {"name": "client_name", "type": ["null", "string"], "default": None, "doc": "x"}
    _write(tree, "WorkSignal", 2, v1 | {"fields": [*v1["fields"], leak]})
    with pytest.raises(MinimisationError, match=r"WorkSignal/v2.avsc: WorkSignal.client_name"):
        check_minimised(tree)
