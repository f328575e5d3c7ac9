"""The canonical household identifier: published vectors and properties."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import schemas
from schemas.identity import IdentityError, canonical_id, normalise_address

VECTORS = json.loads((Path(schemas.__file__).parent / "identity_vectors.json").read_text())
DOC = Path(__file__).resolve().parents[2] / "docs" / "identity.md"


@pytest.mark.parametrize("case", VECTORS["valid"], ids=lambda c: c["canonical"])
def test_valid_vectors(case):
    got = canonical_id(case["postcode"], case["house_number"], case["addition"])
    assert got.decode("ascii") == case["canonical"]
    assert got.hex() == case["canonical_hex"]


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=repr)
def test_invalid_vectors(case):
    with pytest.raises(IdentityError) as info:
        canonical_id(case["postcode"], case["house_number"], case["addition"])
    assert info.value.part == case["part"]


def test_errors_never_repeat_the_input():
    for case in VECTORS["invalid"]:
        with pytest.raises(IdentityError) as info:
            canonical_id(case["postcode"], case["house_number"], case["addition"])
        for value in (case["postcode"], str(case["house_number"]), case["addition"]):
            if len(value) >= 3:
                assert value not in str(info.value)


def test_docs_publish_the_same_vectors():
    """docs/identity.md embeds every valid vector's canonical form, so docs and code agree."""
    text = DOC.read_text(encoding="utf-8")
    for case in VECTORS["valid"]:
        assert f"`{case['canonical']}`" in text


postcodes = st.from_regex(r"[1-9][0-9]{3}[A-RT-Z][A-Z]", fullmatch=True)
numbers = st.integers(min_value=1, max_value=99999)
additions = st.from_regex(r"[a-z0-9]{0,6}", fullmatch=True)


@given(postcodes, numbers, additions)
def test_canonical_form_is_a_fixed_point(postcode, number, addition):
    address = normalise_address(postcode, number, addition)
    again = normalise_address(address.postcode, str(address.house_number), address.addition)
    assert again == address
    assert re.fullmatch(
        rb"adr1\|[1-9][0-9]{3}[A-Z]{2}\|[1-9][0-9]{0,4}\|[a-z0-9]{0,6}", again.canonical()
    )


@given(postcodes, numbers, additions, st.sampled_from([" ", "-", "/", "."]), st.booleans())
def test_spelling_variants_give_the_same_bytes(postcode, number, addition, sep, upper):
    plain = canonical_id(postcode, number, addition)
    spaced = f"{postcode[:4]} {postcode[4:].lower()}"
    shown = addition.upper() if upper else addition
    assert canonical_id(spaced, f"{number:05d}", sep + shown) == plain
    assert canonical_id(postcode, f"{number}{sep}{shown}") == plain
