"""The minimisation lint: no schema field may hold a direct identifier, an amount or free text.

A field is flagged when its name or doc points at a direct identifier (name, BSN, birth date,
address parts, phone, e-mail, IBAN), at an amount (amounts travel as bands: enums), or when
its type could carry free text: a string without an anchored ``pattern`` and a ``maxLength``,
a map, a float, or bytes other than the sealed identifier.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas._avrogen import AVRO_DIR
from schemas._avsc_files import read_tree
from schemas.errors import MinimisationError

__all__ = ["Finding", "check_minimised", "lint_schema", "lint_tree"]

_IDENTIFIER_TOKENS = {
    # names
    "name", "names", "naam", "firstname", "lastname", "surname", "voornaam", "achternaam",
    "initials", "voorletters", "tussenvoegsel",
    # national and other personal numbers
    "bsn", "burgerservicenummer", "sofi", "sofinummer", "passport", "paspoort",
    "studentnumber", "onderwijsnummer", "pgn",
    # birth
    "birth", "birthdate", "birthday", "dob", "geboorte", "geboortedatum",
    # address parts
    "address", "adres", "street", "straat", "straatnaam", "postcode", "zipcode", "zip",
    "housenumber", "huisnummer", "toevoeging", "city", "woonplaats", "municipality_name",
    # contact
    "phone", "telephone", "telefoon", "mobile", "mobiel", "email", "mail",
    # bank
    "iban", "bankaccount", "rekeningnummer",
    # free text
    "comment", "comments", "note", "notes", "remark", "remarks", "opmerking", "toelichting",
    "text", "freetext", "memo", "message",
}  # fmt: skip
_AMOUNT_TOKENS = {
    "amount", "bedrag", "euro", "euros", "eur", "cents", "salary", "salaris", "income",
    "inkomen", "debt", "schuld", "balance", "saldo",
}  # fmt: skip
_DOC_PATTERNS = re.compile(
    r"\b(full name|first name|last name|surname|date of birth|birth ?date|bsn|"
    r"burgerservicenummer|street|house number|postcode|zip code|phone number|telephone|"
    r"e-?mail address|iban|bank account|free text|comment|amount in euros?|euro amount)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(never|not|no|nor|without|instead of)\b[^.;]*$", re.IGNORECASE)
_ALLOWED_BYTES = {"sealed_subject"}
_CHAR_CLASS = re.compile(r"\[(?:\\.|[^\]\\])*\]")
_FREE_TEXT = re.compile(r"(?<!\\)\.|\\[sSWD]")
_SPACE = re.compile(r" |\\s|\\S|\\W|\\D")


@dataclass(frozen=True, slots=True)
class Finding:
    """One field that breaks the minimisation rules."""

    where: str
    """``file: Record.field`` (nested records included)."""
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


def _tokens(name: str) -> set[str]:
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    parts = [p for p in re.split(r"[^a-z0-9]+", snake) if p]
    return set(parts) | {"".join(parts)}


def _positive_doc_hits(doc: str) -> list[str]:
    """Doc phrases that describe an identifier, skipping those negated ("never a BSN")."""
    return [
        m.group(0) for m in _DOC_PATTERNS.finditer(doc) if not _NEGATION.search(doc[: m.start()])
    ]


def _free_text_string(field: dict[str, Any]) -> str | None:
    pattern = field.get("pattern")
    if not isinstance(pattern, str) or not (pattern.startswith("^") and pattern.endswith("$")):
        return "string without an anchored 'pattern' could hold free text"
    classes = _CHAR_CLASS.findall(pattern)
    outside = _CHAR_CLASS.sub("", pattern)
    if _FREE_TEXT.search(outside) or any(_SPACE.search(c) for c in classes):
        return f"pattern {pattern!r} admits free text (any character, or spaces)"
    if not isinstance(field.get("maxLength"), int):
        return "string without 'maxLength' could hold free text"
    return None


def _branches(schema: Any) -> Iterator[Any]:
    if isinstance(schema, list):
        for branch in schema:
            yield from _branches(branch)
    else:
        yield schema


def _type_problems(field: dict[str, Any], tokens: set[str]) -> Iterator[str]:
    for branch in _branches(field["type"]):
        kind = branch.get("type") if isinstance(branch, dict) else branch
        logical = branch.get("logicalType") if isinstance(branch, dict) else None
        if kind == "string" and logical is None:
            problem = _free_text_string(field)
            if problem:
                yield problem
        elif kind == "map":
            yield "a map has free-form keys and values; use a record"
        elif kind in {"float", "double"}:
            yield f"{kind} looks like an amount or measurement; use a band (enum)"
        elif kind in {"int", "long"} and logical is None and tokens & _AMOUNT_TOKENS:
            yield "an amount must be a band (enum), not a number"
        elif kind == "bytes" and field["name"] not in _ALLOWED_BYTES:
            yield "bytes could hold anything; only the sealed identifier may be bytes"


def _walk(schema: Any, where: str, seen: set[str]) -> Iterator[Finding]:
    for branch in _branches(schema):
        if not isinstance(branch, dict):
            continue
        if branch.get("type") == "array":
            yield from _walk(branch["items"], where, seen)
        if branch.get("type") != "record" or branch["name"] in seen:
            continue
        seen.add(branch["name"])
        for field in branch["fields"]:
            here = f"{where}.{field['name']}" if where else f"{branch['name']}.{field['name']}"
            tokens = _tokens(field["name"])
            for token in sorted(tokens & _IDENTIFIER_TOKENS):
                yield Finding(here, f"name suggests a direct identifier or free text ({token!r})")
            for token in sorted(tokens & _AMOUNT_TOKENS):
                yield Finding(here, f"name suggests an amount ({token!r}); use a band (enum)")
            for phrase in _positive_doc_hits(str(field.get("doc", ""))):
                yield Finding(here, f"doc describes a direct identifier or free text ({phrase!r})")
            for problem in _type_problems(field, tokens):
                yield Finding(here, problem)
            yield from _walk(field["type"], here, seen)


def lint_schema(schema: dict[str, Any], *, origin: str = "") -> list[Finding]:
    """Every finding in one schema (JSON data); ``origin`` prefixes the locations."""
    prefix = f"{origin}: " if origin else ""
    return [Finding(prefix + f.where, f.problem) for f in _walk(schema, "", set())]


def lint_tree(avro_dir: Path = AVRO_DIR) -> list[Finding]:
    """Every finding in every version under ``avro_dir``."""
    findings = []
    for versions in read_tree(avro_dir).values():
        for _number, path, schema in versions:
            findings.extend(lint_schema(schema, origin=path.name and str(path)))
    return findings


def check_minimised(avro_dir: Path = AVRO_DIR) -> None:
    """Raise :class:`MinimisationError` listing every finding under ``avro_dir``."""
    findings = lint_tree(avro_dir)
    if findings:
        raise MinimisationError(
            "schemas could carry personal data:\n  - "
            + "\n  - ".join(map(str, findings))
            + "\nReplace identifiers by the sealed subject or a pseudonym, amounts by bands, "
            "free text by enums; give every string an anchored 'pattern' and 'maxLength'."
        )
