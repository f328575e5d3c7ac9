"""Dead letters never outgrow the broker's limit: what is too large is sent by reference."""

from __future__ import annotations

import hashlib

import pytest

from streams.household.batch import process
from streams.rules import load_rules
from streams.runtime.deadletters import MESSAGE_LIMIT, bounded, dead_letter, size_of
from streams.runtime.messages import Message

BIG = 1_048_450  # what the broker accepts on an ingest topic with its default limit


def test_a_message_that_fits_is_kept_whole() -> None:
    message = Message("t.ingest.wonen.v1", 2, 9, b"k", b"v" * 1000, [("ce_id", b"x")])
    out = dead_letter(message, "bad").outgoing()
    assert (out.key, out.value) == (b"k", b"v" * 1000)
    headers = dict(out.headers)
    assert headers["ce_id"] == b"x"
    assert "dlq_truncated" not in headers


@pytest.mark.parametrize(
    ("key", "value", "headers", "cut"),
    [
        (b"k", b"\xc3\x01" + bytes(BIG - 2), [], {"value"}),
        (b"k" * BIG, b"small", [], {"key"}),
        (b"k", b"v", [("h", bytes(200_000)), ("g", bytes(900_000))], {"headers"}),
        (b"k" * 400_000, b"v" * 400_000, [("h", bytes(400_000))], {"key", "headers"}),
    ],
    ids=["value", "key", "headers", "key-and-headers"],
)
def test_an_oversized_message_is_dead_lettered_by_reference(key, value, headers, cut) -> None:
    message = Message("t.ingest.school.v1", 1, 77, key, value, headers)
    out = dead_letter(message, "x" * 10_000).outgoing()
    assert size_of(out.key, out.value, out.headers) <= MESSAGE_LIMIT
    got = dict(out.headers)
    assert (got["dlq_topic"], got["dlq_partition"], got["dlq_offset"]) == (
        b"t.ingest.school.v1", b"1", b"77")  # fmt: skip
    assert len(got["dlq_reason"]) == 500
    if "value" in cut:
        assert got["dlq_truncated"] == str(len(value)).encode()
        assert got["dlq_sha256"] == hashlib.sha256(value).hexdigest().encode()
        assert out.value == value[:1024]
    else:
        assert "dlq_truncated" not in got
        assert out.value == value
    if "key" in cut:
        assert got["dlq_key_sha256"] == hashlib.sha256(key).hexdigest().encode()
        assert out.key == key[:1024]
    if "headers" in cut:
        assert got["dlq_headers_dropped"] == str(len(headers)).encode()
        assert not {name for name, _ in headers} & set(got)


def test_bounded_keeps_what_fits_under_a_larger_limit() -> None:
    message = Message("t", 0, 0, b"k", bytes(1_500_000), [])
    assert bounded(message, 2_000_000).notes == {}
    assert bounded(message, 1_000_000).notes["truncated"] == "1500000"


def test_the_household_stage_dead_letters_an_oversized_decision_by_reference() -> None:
    # decisions.v1 is written by coordinators' systems: a hostile one must not stop the hub
    record = Message("t.decisions.v1", 4, 12, b"k", b"\xc3\x01" + bytes(BIG - 2), [])
    batch = process([record], lambda _key: None, load_rules(None), "urn:x:y")
    (out,) = batch.outputs
    assert out.topic == "deadletter.v1"
    assert size_of(out.key, out.value, out.headers) <= MESSAGE_LIMIT
    assert dict(out.headers)["dlq_truncated"] == str(BIG).encode()
