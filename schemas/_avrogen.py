"""Derive the Avro schema of a contract model, and write it as a new ``.avsc`` version.

The ``.avsc`` files under ``schemas/avro/<Record>/v<N>.avsc`` are the contract; the models are
their Python face. A unit test checks that each model still derives to its latest file; when a
model changes, run ``python -m schemas._avrogen`` to add the next version (a documentation-only
change rewrites the latest file, since it does not change the fingerprint), then let the
compatibility check judge it.
"""

from __future__ import annotations

import inspect
import json
import sys
import types
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin
from uuid import UUID

from annotated_types import MaxLen
from pydantic import AwareDatetime
from pydantic.fields import FieldInfo
from pydantic.types import StringConstraints

from schemas.models import TOP_LEVEL_RECORDS, ContractModel

__all__ = ["AVRO_DIR", "NAMESPACE", "avro_schema", "write_versions"]

NAMESPACE = "nl.wijkhub"
AVRO_DIR = Path(__file__).parent / "avro"

_SCALARS: dict[type, Any] = {
    bool: "boolean",
    bytes: "bytes",
    str: "string",
    int: "long",
    UUID: {"type": "string", "logicalType": "uuid"},
    datetime: {"type": "long", "logicalType": "timestamp-micros"},
    AwareDatetime: {"type": "long", "logicalType": "timestamp-micros"},
    date: {"type": "int", "logicalType": "date"},
}


def _doc(obj: type) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.split("\n\n")[0].replace("\n", " ").replace("``", "`").strip()


class _Builder:
    """Builds one top-level schema; each named type is defined once, then referred to."""

    def __init__(self) -> None:
        self.defined: set[str] = set()

    def record(self, model: type[ContractModel]) -> Any:
        name = model.avro_name
        if name in self.defined:
            return name
        self.defined.add(name)
        fields = [self.field(n, f, model) for n, f in model.model_fields.items()]
        return {"type": "record", "name": name, "doc": _doc(model), "fields": fields}

    def field(self, name: str, info: FieldInfo, model: type) -> dict[str, Any]:
        if not info.description:
            raise ValueError(f"{model.__name__}.{name} has no description; every field needs a doc")
        extra: dict[str, Any] = {}
        self._constraints(info.metadata, extra)
        out: dict[str, Any] = {"name": name, "type": self.avro_type(info.annotation, extra)}
        out["doc"] = info.description
        if not info.is_required():
            if info.default is not None:
                raise ValueError(f"{model.__name__}.{name}: only None defaults are supported")
            out["default"] = None
        out.update(sorted(extra.items()))
        return out

    @staticmethod
    def _constraints(metadata: list[Any], extra: dict[str, Any]) -> None:
        for meta in metadata:
            if isinstance(meta, StringConstraints):
                if meta.pattern is not None:
                    extra["pattern"] = str(meta.pattern)
                if meta.max_length is not None:
                    extra["maxLength"] = meta.max_length
            elif isinstance(meta, MaxLen):
                extra["maxLength"] = meta.max_length

    def avro_type(self, tp: Any, extra: dict[str, Any]) -> Any:
        origin = get_origin(tp)
        if origin is Annotated:
            base, *meta = get_args(tp)
            self._constraints(meta, extra)
            return self.avro_type(base, extra)
        if origin in (Union, types.UnionType):
            args = get_args(tp)
            branches = [self.avro_type(a, extra) for a in args if a is not type(None)]
            return ["null", *branches] if type(None) in args else branches
        if origin is tuple:
            item, _ellipsis = get_args(tp)
            return {"type": "array", "items": self.avro_type(item, extra)}
        if isinstance(tp, type) and issubclass(tp, StrEnum):
            return self.enum(tp)
        if isinstance(tp, type) and issubclass(tp, ContractModel):
            return self.record(tp)
        if tp in _SCALARS:
            return _SCALARS[tp]
        raise TypeError(f"no Avro mapping for {tp!r}")

    def enum(self, enum: type[StrEnum]) -> Any:
        name = enum.__name__
        if name in self.defined:
            return name
        self.defined.add(name)
        return {"type": "enum", "name": name, "doc": _doc(enum), "symbols": [e.value for e in enum]}


def avro_schema(model: type[ContractModel]) -> dict[str, Any]:
    """The Avro schema (as JSON data) that ``model`` derives to."""
    schema: dict[str, Any] = _Builder().record(model)
    return {"type": "record", "name": schema["name"], "namespace": NAMESPACE} | {
        k: v for k, v in schema.items() if k not in {"type", "name"}
    }


def _dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_versions(avro_dir: Path = AVRO_DIR) -> list[Path]:
    """Write each model's schema where it differs from its latest ``.avsc``; the paths written."""
    from fastavro.schema import to_parsing_canonical_form

    written = []
    for model in TOP_LEVEL_RECORDS:
        schema = avro_schema(model)
        folder = avro_dir / model.avro_name
        versions = sorted(folder.glob("v*.avsc"), key=lambda p: int(p.stem[1:]))
        target = folder / "v1.avsc"
        if versions:
            latest = json.loads(versions[-1].read_text(encoding="utf-8"))
            if latest == schema:
                continue
            same_form = to_parsing_canonical_form(latest) == to_parsing_canonical_form(schema)
            number = int(versions[-1].stem[1:]) + (0 if same_form else 1)
            target = folder / f"v{number}.avsc"
        folder.mkdir(parents=True, exist_ok=True)
        target.write_text(_dump(schema), encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":
    for path in write_versions():
        sys.stdout.write(f"wrote {path}\n")
