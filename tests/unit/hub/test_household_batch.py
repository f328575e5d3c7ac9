"""The household stage without a broker: a batch through the engine, and the local stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.codec import decode, encode
from schemas.models import ConsentStatus, JointActionProposal, ProposalRetraction
from streams.household.batch import process
from streams.household.store import MemoryStore, PartitionStore, RocksStore
from streams.rules import Ended, Household, decode_state, load_rules
from streams.runtime.messages import Message
from tests.unit.hub.factories import absence, arrears, consent, hh_ref, work

SOURCE = "urn:nld:oin:00000000000000000000:systeem:wijkhub-hub"
BOOK = load_rules()


def _messages(*events, topic: str = "unit.household-events.v1") -> list[Message]:
    out = []
    for offset, event in enumerate(events):
        value, headers = encode(event, source=SOURCE, time=event.occurred_at)
        out.append(Message(topic, 0, offset, event.hh_ref.encode(), value, headers))
    return out


class Reads(dict[bytes, bytes]):
    """A plain dict as the stored state that counts reads."""

    calls = 0

    def read(self, key: bytes) -> bytes | None:
        self.calls += 1
        return self.get(key)


def test_a_batch_gates_on_consent_and_proposes() -> None:
    stored = Reads()
    batch = process(
        _messages(arrears(1, 0), consent(1, 0), arrears(1, 1), absence(1, 2)),
        stored.read, BOOK, SOURCE,
    )  # fmt: skip
    assert batch.outcomes == {"no_consent": 1, "consent": 1, "kept": 2}
    (proposal,) = batch.records
    assert isinstance(proposal, JointActionProposal)
    (message,) = batch.outputs
    assert (message.topic, message.key) == ("proposals.v1", hh_ref(1).encode())
    assert decode(message.value, message.headers) == proposal
    # one read and one write for the household, however many of its events the batch held
    assert stored.calls == 1
    assert list(batch.writes) == [hh_ref(1).encode()]
    state = decode_state(batch.writes[hh_ref(1).encode()] or b"")
    assert isinstance(state, Household)
    assert state.open is not None
    assert state.open.rule == proposal.rule


def test_a_batch_continues_from_the_stored_state() -> None:
    first = process(_messages(consent(2, 0), arrears(2, 1)), dict[bytes, bytes]().get, BOOK,
                    SOURCE)  # fmt: skip
    stored = {k: v for k, v in first.writes.items() if v is not None}
    assert not first.outputs
    second = process(_messages(absence(2, 2)), stored.get, BOOK, SOURCE)
    assert [type(r) for r in second.records] == [JointActionProposal]
    # an event that changes nothing (a duplicate) writes nothing
    now = {**stored, **{k: v for k, v in second.writes.items() if v is not None}}
    third = process(_messages(absence(2, 2)), now.get, BOOK, SOURCE)
    assert third.outcomes == {"duplicate": 1}
    assert not third.writes
    assert not third.outputs


def test_a_withdrawal_deletes_the_state_and_retracts() -> None:
    opened = process(_messages(consent(3, 0), arrears(3, 1), work(3, 2)), {}.get, BOOK, SOURCE)
    stored = {k: v for k, v in opened.writes.items() if v is not None}
    assert [type(r) for r in opened.records] == [JointActionProposal]
    ended = process(_messages(consent(3, 5, ConsentStatus.WITHDRAWN)), stored.get, BOOK, SOURCE)
    assert [type(r) for r in ended.records] == [ProposalRetraction]
    # only the end marker stays: no consent, no signal, no proposal
    new = ended.writes[hh_ref(3).encode()]
    assert new is not None
    assert isinstance(decode_state(new), Ended)


def test_bad_messages_become_dead_letters_and_the_batch_goes_on() -> None:
    opened = process(_messages(consent(4, 0), arrears(4, 1), work(4, 2)), {}.get, BOOK, SOURCE)
    (proposal,) = opened.records
    value, headers = encode(proposal, source=SOURCE)
    misplaced = Message("unit.household-events.v1", 3, 18, b"k", value, headers)
    garbage = Message("unit.household-events.v1", 3, 17, b"k", b"not avro", [])
    batch = process([garbage, misplaced, *_messages(consent(5, 0))], {}.get, BOOK, SOURCE)
    assert batch.outcomes == {"deadletter": 2, "consent": 1}
    assert [letter.topic for letter in batch.outputs] == ["deadletter.v1"] * 2
    first, second = (dict(letter.headers) for letter in batch.outputs)
    assert (first["dlq_partition"], first["dlq_offset"]) == (b"3", b"17")
    assert b"single-object" in first["dlq_reason"]
    assert b"JointActionProposal does not belong here" in second["dlq_reason"]
    assert [d[:3] for d in batch.dead] == [("unit.household-events.v1", 3, 17),
                                           ("unit.household-events.v1", 3, 18)]  # fmt: skip
    assert list(batch.writes) == [hh_ref(5).encode()]


@pytest.fixture(params=["memory", "rocksdb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> PartitionStore:
    if request.param == "memory":
        return MemoryStore(5)
    return RocksStore(tmp_path / "p5", 5)


def test_a_store_writes_deletes_and_keeps_its_checkpoint(store: PartitionStore) -> None:
    assert (store.checkpoint, store.count()) == (-1, 0)
    store.write({b"k1:a": b"1", b"k1:b": b"2"}, checkpoint=7)
    store.write({b"k1:a": None, b"k1:b": b"3"}, checkpoint=9)
    assert (store.get(b"k1:a"), store.get(b"k1:b"), store.count()) == (None, b"3", 1)
    assert store.checkpoint == 9
    assert store.written_at > 0
    store.clear()
    assert (store.get(b"k1:b"), store.checkpoint, store.count()) == (None, -1, 0)


def test_a_rocksdb_store_survives_a_reopen(tmp_path: Path) -> None:
    store = RocksStore(tmp_path / "p0", 0)
    store.write({b"k1:a": b"state"}, checkpoint=41)
    store.close()
    again = RocksStore(tmp_path / "p0", 0)
    assert (again.get(b"k1:a"), again.checkpoint, again.count()) == (b"state", 41, 1)
    again.close()


def test_a_local_store_is_rebuilt_when_the_changelog_cannot_bring_it_up_to_date() -> None:
    from streams.household.processor import STALE_AFTER, _untrusted

    store = MemoryStore(0)
    assert _untrusted(store, begin=0, end=100) is None  # empty: read it all
    store.write({b"k1:a": b"1"}, checkpoint=49)
    assert _untrusted(store, begin=0, end=100) is None  # read 50..99
    assert "ahead" in (_untrusted(store, begin=0, end=40) or "")  # topic recreated
    assert "no longer holds" in (_untrusted(store, begin=60, end=100) or "")  # 50..59 gone
    store.written_at -= STALE_AFTER + 1
    assert "older" in (_untrusted(store, begin=0, end=100) or "")  # a tombstone may be gone
