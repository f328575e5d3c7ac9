"""The canonical household identifier: one normalisation, the same bytes in every language.

A household is identified by its address. Every partner normalises the address with the rules
below (published with test vectors in ``schemas/identity_vectors.json`` and
``docs/identity.md``) and seals the resulting bytes to the hub's public key; the hub turns them
into a keyed pseudonym. Two partners that know the same address therefore produce the same
bytes, whatever their export looks like.

Canonical form (ASCII, no trailing newline)::

    adr1|<postcode>|<house number>|<addition>

* ``postcode``: 4 digits (first not 0) then 2 capital letters, no space; ``SA``, ``SD`` and
  ``SS`` are never issued and are rejected. Input may use any case and spaces.
* ``house number``: 1 to 99999 in decimal, no leading zeros. Input may carry the addition
  after the digits (``12a``, ``12-A``, ``12 bis``); it is then split off.
* ``addition``: BAG huisletter and huisnummertoevoeging together, ASCII letters and digits in
  lower case, separators (space, ``-``, ``/``, ``.``, ``_``) dropped, at most 6 characters;
  empty when there is none.

Errors never repeat the input value (it may be personal data): they say which part is wrong
and what is expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schemas.errors import WijkhubError

__all__ = [
    "CANONICAL_PREFIX",
    "Address",
    "IdentityError",
    "canonical_id",
    "normalise_address",
]

CANONICAL_PREFIX = "adr1"
_POSTCODE = re.compile(r"[1-9][0-9]{3}[A-Z]{2}")
_UNISSUED_LETTERS = frozenset({"SA", "SD", "SS"})
_HOUSE_NUMBER = re.compile(r"([0-9]+)(.*)", re.DOTALL)
_SEPARATORS = re.compile(r"[\s\-/._]+")
_ADDITION = re.compile(r"[a-z0-9]*")
_MAX_HOUSE_NUMBER = 99999
_MAX_ADDITION = 6


class IdentityError(WijkhubError, ValueError):
    """An address part cannot be normalised; ``part`` names it (postcode, house_number, …)."""

    def __init__(self, part: str, reason: str) -> None:
        super().__init__(f"{part}: {reason}")
        self.part = part
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Address:
    """A normalised address; :meth:`canonical` gives the bytes to seal."""

    postcode: str
    house_number: int
    addition: str = ""

    def canonical(self) -> bytes:
        """The canonical identifier bytes (ASCII)."""
        text = f"{CANONICAL_PREFIX}|{self.postcode}|{self.house_number}|{self.addition}"
        return text.encode("ascii")


def _postcode(raw: str) -> str:
    text = "".join(raw.split()).upper()
    if not text:
        raise IdentityError("postcode", "is empty; expected 4 digits and 2 letters, e.g. 1234AB")
    if not text.isascii() or not _POSTCODE.fullmatch(text):
        raise IdentityError(
            "postcode",
            "is not a Dutch postcode; expected 4 digits (not starting with 0) and 2 letters",
        )
    if text[4:] in _UNISSUED_LETTERS:
        raise IdentityError("postcode", "uses letters SA, SD or SS, which are never issued")
    return text


def _addition(raw: str) -> str:
    text = _SEPARATORS.sub("", raw).lower()
    if not text.isascii() or not _ADDITION.fullmatch(text):
        raise IdentityError("addition", "may hold only letters a-z and digits 0-9")
    if len(text) > _MAX_ADDITION:
        raise IdentityError("addition", f"is longer than {_MAX_ADDITION} characters")
    return text


def _house_number(raw: int | str) -> tuple[int, str]:
    if isinstance(raw, bool):
        raise IdentityError("house_number", "must be a number, not a boolean")
    if isinstance(raw, int):
        number, rest = raw, ""
    else:
        text = raw.strip()
        match = _HOUSE_NUMBER.fullmatch(text)
        if not text or match is None or not match.group(1).isascii():
            raise IdentityError("house_number", "must start with the digits of the house number")
        number, rest = int(match.group(1)), match.group(2)
    if not 1 <= number <= _MAX_HOUSE_NUMBER:
        raise IdentityError("house_number", f"must be between 1 and {_MAX_HOUSE_NUMBER}")
    return number, rest


def normalise_address(postcode: str, house_number: int | str, addition: str = "") -> Address:
    """Normalise an address; raises :class:`IdentityError` naming the part that is wrong."""
    number, rest = _house_number(house_number)
    return Address(_postcode(postcode), number, _addition(rest + " " + (addition or "")))


def canonical_id(postcode: str, house_number: int | str, addition: str = "") -> bytes:
    """The canonical identifier bytes of an address (see the module docstring)."""
    return normalise_address(postcode, house_number, addition).canonical()
