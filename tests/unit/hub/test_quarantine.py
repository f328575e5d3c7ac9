"""Parked records without a broker: how they are written and read back, the holds, and what
the ingress decides for each message (streams.quarantine, streams.ingress.parking)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from nacl.public import PublicKey

from schemas.codec import decode
from schemas.models import HouseholdEvent
from streams.ingress.forwarder import handle
from streams.ingress.identify import household_of
from streams.ingress.keys import HubKeys, init_keys, load_keys
from streams.ingress.parking import Parking, Plan
from streams.quarantine.records import QUARANTINE_LIMIT, Entry, park, parse, quarantine_id
from streams.quarantine.view import QuarantineView
from streams.runtime.messages import Message, Outgoing
from tests.support import poison

CONSENT = "t.ingest.consent.v1"
WONEN = "t.ingest.wonen.v1"
QTOPIC = "t.quarantine.v1"
HUB = "urn:nld:oin:00000000000000000000:systeem:wijkhub-hub"
AT = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> HubKeys:
    path = tmp_path_factory.mktemp("keys")
    init_keys(path)
    return load_keys(path)


@pytest.fixture(scope="module")
def pub(keys: HubKeys) -> PublicKey:
    return PublicKey(bytes(keys.private_key.public_key))


class Topic:
    """``quarantine.v1`` in memory: what the ingress writes gets offsets and is read back."""

    def __init__(self) -> None:
        self.log: dict[int, list[Message]] = {}

    def write(self, plan: Plan, view: QuarantineView) -> list[Outgoing]:
        others = []
        for out, entry in plan.first + plan.last:
            if out.topic != "quarantine.v1":
                others.append(out)
                continue
            assert out.partition is not None
            offsets = self.log.setdefault(out.partition, [])
            offsets.append(Message(QTOPIC, out.partition, len(offsets), out.key, out.value,
                                   list(out.headers)))  # fmt: skip
            if entry is not None:
                view.confirm(entry.id, len(offsets) - 1)
        return others

    def operator(self, entry: Entry, state: str) -> Message:
        out = entry.at_state(state, at=AT, actor="ops-1").outgoing()
        offsets = self.log.setdefault(entry.partition, [])
        offsets.append(Message(QTOPIC, entry.partition, len(offsets), out.key, out.value,
                               list(out.headers)))  # fmt: skip
        return offsets[-1]


def _parking(keys: HubKeys) -> tuple[Parking, QuarantineView, Topic]:
    view = QuarantineView(slim=True)  # as the worker keeps it
    return Parking(keys, HUB, view, partitions=6, clock=lambda: AT), view, Topic()


def _msg(topic: str, offset: int, encoded: tuple[bytes | None, list[tuple[str, bytes]]],
         key: bytes | None = b"k") -> Message:  # fmt: skip
    return Message(topic, 0, offset, key, encoded[0], encoded[1])


def _forwarded(outs: list[Outgoing]) -> list[str]:
    return [decode(o.value, o.headers).hh_ref for o in outs if o.topic == "household-events.v1"]


# -- records -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "headers"),
    [
        (b"subject", b"\xc3\x01abc", [("ce_id", b"x"), ("q_state", b"released")]),
        (None, None, []),
        (b"", b"", [("q_headers", b"99")]),
    ],
    ids=["hostile-header", "tombstone-without-key", "empty"],
)
def test_a_parked_record_round_trips_whole(key, value, headers) -> None:
    original = Message(CONSENT, 3, 41, key, value, headers)
    entry = park(original, "why", at=AT, partitions=6, read_from=f"{CONSENT}:3:41")
    out = entry.outgoing()
    assert out.key == entry.id.encode()
    assert out.value is not None  # a parked state is never a tombstone on a compacted topic
    back = parse(Message(QTOPIC, out.partition or 0, 7, out.key, out.value, out.headers))
    assert back is not None
    assert back.origin.message == original
    assert (back.state, back.reason, back.id) == ("parked", "why", quarantine_id(CONSENT, 3, 41))
    assert back.origin.sha256 == hashlib.sha256(value or b"").hexdigest()


def test_final_states_are_tombstones_and_a_discard_request_is_not() -> None:
    entry = park(Message(CONSENT, 0, 1, b"k", b"v", []), "why", at=AT, partitions=6,
                 read_from="x:0:1")  # fmt: skip
    assert entry.at_state("resolved", at=AT).outgoing().value is None
    assert entry.at_state("discarded", at=AT).outgoing().value is None
    assert entry.at_state("discarding", at=AT).outgoing().value == b""
    released = entry.at_state("released", at=AT, actor="ops-1").outgoing()
    assert released.value == b"v"
    parsed = parse(Message(QTOPIC, 0, 2, released.key, released.value, released.headers))
    assert parsed is not None
    assert parsed.actor == "ops-1"
    assert parsed.origin.message.key == b"k"


def test_a_value_over_the_limit_is_parked_by_reference() -> None:
    big = b"\xc3\x01" + bytes(QUARANTINE_LIMIT)
    entry = park(Message(CONSENT, 0, 1, b"k", big, []), "why", at=AT, partitions=6,
                 read_from="x:0:1")  # fmt: skip
    assert entry.origin.truncated
    assert entry.origin.size == len(big)
    assert entry.origin.sha256 == hashlib.sha256(big).hexdigest()
    assert len(entry.outgoing().value or b"") == 1024


def test_messages_that_are_not_parked_records_are_ignored() -> None:
    assert parse(Message(QTOPIC, 0, 0, b"x", b"y", [])) is None
    assert (
        parse(Message(QTOPIC, 0, 0, b"x", b"y", [("q_headers", b"0"), ("q_state", b"odd")])) is None
    )


# -- the ingress: parking and holding ------------------------------------------------------


def test_the_household_of_an_invalid_but_sealed_record_is_known(keys: HubKeys, pub) -> None:
    assert household_of(poison.bad_intake_ref(pub, 7)[0], keys) == poison.household(keys, 7)
    assert household_of(poison.work(pub, 7)[0], keys) == poison.household(keys, 7)
    other = PublicKey(bytes(32 * b"\x01"))
    assert household_of(poison.consent(other, 7)[0], keys) is None
    assert household_of(poison.random_bytes(1)[0], keys) is None
    assert household_of(None, keys) is None


def test_an_unreadable_consent_record_holds_its_household_and_nothing_else(keys, pub) -> None:
    parking, view, topic = _parking(keys)
    assert parking.ingest(_msg(CONSENT, 0, poison.bad_intake_ref(pub, 1))) == "parked"
    assert parking.ingest(_msg(WONEN, 0, poison.arrears(pub, 1), key=b"c1")) == "held"
    assert parking.ingest(_msg(CONSENT, 1, poison.consent(pub, 1), key=b"x")) == "held"
    assert parking.ingest(_msg(WONEN, 1, poison.arrears(pub, 2), key=b"c2")) == "signal"
    outs = topic.write(parking.take(), view)
    assert _forwarded(outs) == [poison.household(keys, 2)]
    (head,) = [e for e in view.open() if e.held_by is None]
    assert head.hold == f"hh:{poison.household(keys, 1)}"
    assert [e.origin.message.topic for e in view.followers(head.id)] == [WONEN, CONSENT]
    assert {e.partition for e in view.open()} == {head.partition}  # one partition per hold


def test_without_a_household_the_subject_key_is_held_and_without_a_key_nothing(keys, pub):
    parking, view, topic = _parking(keys)
    assert parking.ingest(_msg(CONSENT, 0, poison.random_bytes(1), key=b"gem-9")) == "parked"
    assert parking.ingest(_msg(CONSENT, 1, poison.consent(pub, 9), key=b"gem-9")) == "held"
    assert parking.ingest(_msg(CONSENT, 2, poison.consent(pub, 9), key=b"gem-8")) == "consent"
    assert parking.ingest(_msg(WONEN, 0, poison.arrears(pub, 9), key=b"gem-9")) == "signal"
    assert parking.ingest(_msg(CONSENT, 3, poison.random_bytes(2), key=None)) == "parked"
    assert parking.ingest(_msg(CONSENT, 4, poison.consent(pub, 5), key=None)) == "consent"
    topic.write(parking.take(), view)
    keyless = [e for e in view.open() if e.origin.message.offset == 3]
    assert keyless[0].hold is None


def test_a_consent_record_on_a_signal_topic_is_parked_and_bad_signals_dead_lettered(keys, pub):
    parked = handle(_msg(WONEN, 0, poison.consent(pub, 1)), keys, HUB)
    assert parked.outcome == "parked"
    assert parked.messages[0].topic == "quarantine.v1"
    dead = handle(_msg(WONEN, 1, poison.random_bytes(3)), keys, HUB)
    assert dead.outcome == "deadletter"
    assert dead.messages[0].topic == "deadletter.v1"


# -- releases, discards and re-drives ------------------------------------------------------


def _held_household(keys: HubKeys, pub) -> tuple[Parking, QuarantineView, Topic, Entry]:
    parking, view, topic = _parking(keys)
    parking.ingest(_msg(CONSENT, 0, poison.forged_id(pub, 1)))
    parking.ingest(_msg(WONEN, 0, poison.arrears(pub, 1), key=b"c1"))
    parking.ingest(_msg(CONSENT, 1, poison.consent(pub, 1), key=b"g1"))
    topic.write(parking.take(), view)
    (head,) = [e for e in view.open() if e.held_by is None]
    return parking, view, topic, head


def test_a_discard_ends_the_head_after_re_driving_what_it_held_in_order(keys, pub) -> None:
    parking, view, topic, head = _held_household(keys, pub)
    assert parking.quarantined(topic.operator(head, "discarding")) == "discarded"
    plan = parking.take()
    firsts = [o for o, _ in plan.first]
    assert [o.topic for o in firsts if o.topic != "quarantine.v1"] == ["household-events.v1"] * 2
    assert [decode(o.value, o.headers).payload.__class__.__name__ for o in firsts
            if o.topic == "household-events.v1"] == ["RentArrears", "Consent"]  # fmt: skip
    (last,) = plan.last  # the head's end, after what it held
    assert last[1] is not None
    assert (last[1].id, last[1].state) == (head.id, "discarded")
    topic.write(plan, view)
    assert view.open() == []


def test_a_release_that_still_fails_parks_it_again_and_keeps_the_hold(keys, pub) -> None:
    parking, view, topic, head = _held_household(keys, pub)
    assert parking.quarantined(topic.operator(head, "released")) == "reparked"
    topic.write(parking.take(), view)
    again = view.get(head.id)
    assert again is not None
    assert (again.state, again.attempt, again.partition) == ("parked", 2, head.partition)
    assert len(view.followers(head.id)) == 2


def test_a_released_readable_record_is_forwarded_once_even_when_read_twice(keys, pub) -> None:
    parking, view, topic = _parking(keys)
    parking.ingest(_msg(CONSENT, 0, poison.random_bytes(1), key=b"g1"))
    parking.ingest(_msg(CONSENT, 1, poison.consent(pub, 4), key=b"g1"))  # held by key
    topic.write(parking.take(), view)
    follower = next(e for e in view.open() if e.held_by)
    # the operator cannot release the follower; here the ingress gets it released anyway
    release = topic.operator(follower, "released")
    assert parking.quarantined(release) == "held"  # the head still holds it: parked again
    topic.write(parking.take(), view)
    head = next(e for e in view.open() if e.held_by is None)
    parking.quarantined(topic.operator(head, "discarding"))
    outs = topic.write(parking.take(), view)
    assert _forwarded(outs) == [poison.household(keys, 4)]
    assert parking.quarantined(release) == "quarantine.seen"  # a replay: acted on already
    assert parking.take().first == []


def test_what_was_parked_behind_a_head_that_had_ended_is_re_driven_on_sight(keys, pub) -> None:
    parking, view, topic, head = _held_household(keys, pub)
    other_worker = QuarantineView(slim=True)  # it did not see the head end before it parked this
    other_worker.apply(head)
    late = Parking(keys, HUB, other_worker, partitions=6, clock=lambda: AT)
    assert late.ingest(_msg(WONEN, 5, poison.arrears(pub, 1), key=b"c9")) == "held"
    parking.quarantined(topic.operator(head, "discarding"))
    topic.write(parking.take(), view)
    topic.write(late.take(), other_worker)
    late_park = topic.log[head.partition][-1]
    assert parking.quarantined(late_park) == "redriven"
    outs = topic.write(parking.take(), view)
    assert _forwarded(outs) == [poison.household(keys, 1)]


def test_a_record_parked_by_reference_is_never_re_driven(keys) -> None:
    parking, view, topic = _parking(keys)
    big = (b"\xc3\x01" + bytes(QUARANTINE_LIMIT), [])
    parking.ingest(_msg(CONSENT, 0, big))
    topic.write(parking.take(), view)
    (entry,) = view.open()
    assert parking.quarantined(topic.operator(entry, "released")) == "reparked"
    topic.write(parking.take(), view)
    again = view.get(entry.id)
    assert again is not None
    assert again.state == "parked"
    assert "by reference" in again.reason


def test_forwarded_events_are_household_events(keys, pub) -> None:
    out = handle(_msg(WONEN, 0, poison.arrears(pub, 3)), keys, HUB)
    assert isinstance(decode(out.messages[0].value, out.messages[0].headers), HouseholdEvent)


def test_a_tail_that_reads_an_older_state_late_changes_nothing(keys) -> None:
    view = QuarantineView()
    entry = park(Message(CONSENT, 0, 1, b"k", b"v", []), "why", at=AT, partitions=6,
                 read_from="x:0:1")  # fmt: skip
    view.apply(entry)  # ours, not yet acknowledged
    written = entry.outgoing()
    stale = parse(Message(QTOPIC, entry.partition, 3, written.key, written.value, written.headers))
    assert stale is not None
    assert not view.apply(stale)
    view.confirm(entry.id, 5)
    assert not view.apply(stale)  # offset 3 < 5
    ended = entry.at_state("resolved", at=AT).outgoing()
    newer = parse(Message(QTOPIC, entry.partition, 6, ended.key, ended.value, ended.headers))
    assert newer is not None
    assert view.apply(newer)
    assert view.open() == []


# -- the command -----------------------------------------------------------------------


def test_the_command_is_registered_and_needs_an_actor() -> None:
    from schemas.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["quarantine", "discard", "4e1ff52b", "--actor", "ops-1"])
    assert (args.action, args.id, args.actor, args.role) == (
        "discard", "4e1ff52b", "ops-1", "functional_admin")  # fmt: skip
    assert parser.parse_args(["quarantine", "list", "--all"]).all
    with pytest.raises(SystemExit):
        parser.parse_args(["quarantine", "release", "4e1ff52b"])  # no --actor


def test_show_describes_a_value_without_a_byte_of_it(pub) -> None:
    from streams.quarantine.commands import describe_value

    assert describe_value(b"1234AB 5 Jansen") == "not Avro single-object encoding"
    assert describe_value(poison.consent(pub, 1)[0]) == (
        "Avro single-object encoding, ConsentRecord v1")  # fmt: skip
    assert "unknown schema fingerprint" in describe_value(poison.oversize(100)[0])
    assert describe_value(None) == "none (a tombstone)"


def test_the_worker_keeps_the_bytes_of_held_records_only(keys, pub) -> None:
    parking, view, topic = _parking(keys)
    signal = poison.arrears(pub, 1)
    parking.ingest(_msg(CONSENT, 0, poison.bad_intake_ref(pub, 1)))
    parking.ingest(_msg(WONEN, 0, signal, key=b"c1"))
    topic.write(parking.take(), view)
    head = next(e for e in view.open() if e.held_by is None)
    (held,) = view.followers(head.id)
    assert head.origin.message.value is None  # a release brings its own copy
    assert head.origin.message.headers == []
    assert (held.origin.message.value, held.origin.message.headers) == signal
