"""The ingress stage without a broker (its pure handler), and the worker's wiring."""

from __future__ import annotations

from pathlib import Path

import pytest
from nacl.public import PublicKey, SealedBox

from schemas.codec import decode, encode
from schemas.identity import canonical_id
from schemas.models import HouseholdEvent, RentArrearsSignal, SignalStatus
from schemas.settings import KafkaSettings
from streams.household.processor import HouseholdProcessor
from streams.ingress.forwarder import IngressForwarder, handle
from streams.ingress.keys import HubKeys, init_keys, load_keys
from streams.runtime.app import create_app
from streams.runtime.messages import Message
from streams.settings import HubSettings
from tests.unit.hub.factories import arrears

SOURCE = "urn:nld:kvknr:12345678.huurbeheer"
HUB_SOURCE = "urn:nld:oin:00000000000000000000:systeem:wijkhub-hub"


@pytest.fixture
def keys(tmp_path: Path) -> HubKeys:
    init_keys(tmp_path / "keys")
    return load_keys(tmp_path / "keys")


def test_the_worker_runs_both_batch_stages_beside_the_heartbeat_agent(tmp_path: Path, keys):
    hub = HubSettings(
        app_id="unit-hub", store="memory", data_dir=tmp_path / "data", web_port=0,
        keys_dir=tmp_path / "keys",
    )  # fmt: skip
    app = create_app(KafkaSettings(topic_prefix="unit"), hub)
    assert issubclass(app.wijkhub_ingress, IngressForwarder)
    assert issubclass(app.wijkhub_household, HouseholdProcessor)
    ingress = app.wijkhub_ingress()
    household = app.wijkhub_household()
    assert ingress.group == "unit-hub.ingress"
    assert household.group == "unit-hub.household"
    assert set(ingress.topics) == {f"unit.ingest.{d}.v1" for d in ("wonen", "school", "werk",
                                                                    "consent")} | {
        "unit.quarantine.v1"  # releases and discards of parked records
    }  # fmt: skip
    assert household.topics == ("unit.household-events.v1", "unit.decisions.v1")
    assert household.changelog == "unit-hub.households-changelog"
    assert {agent.name.rsplit(".", 1)[-1] for agent in app.agents.values()} == {"heartbeat"}


def test_ingress_pseudonymises_and_dead_letters(keys) -> None:
    sealed = SealedBox(PublicKey(bytes(keys.private_key.public_key))).encrypt(
        canonical_id("1234AB", 5, "a")
    )
    base = arrears(1, 0)
    record = RentArrearsSignal(
        event_id=base.event_id, occurred_at=base.occurred_at, source=base.source,
        sealed_subject=bytes(sealed), buurt_code=base.buurt_code, status=SignalStatus.OPENED,
        since=base.payload.since, arrears_band=base.payload.arrears_band, eviction_risk=False,
    )  # fmt: skip
    good = encode(record, source=SOURCE)
    topic = "unit.ingest.wonen.v1"
    forwarded = handle(Message(topic, 0, 0, b"k", good.value, good.headers), keys, HUB_SOURCE)
    dead = handle(Message(topic, 0, 1, b"k", b"not avro", []), keys, HUB_SOURCE)
    assert forwarded.outcome == "signal"
    (out,) = forwarded.messages
    event = decode(out.value, out.headers)
    assert isinstance(event, HouseholdEvent)
    assert out.topic == "household-events.v1"
    assert out.key == event.hh_ref.encode()
    assert b"1234" not in out.value + out.key
    assert dead.outcome == "deadletter"
    headers = dict(dead.messages[0].headers)
    assert dead.messages[0].topic == "deadletter.v1"
    assert b"single-object" in headers["dlq_reason"]
    assert headers["dlq_offset"] == b"1"


@pytest.mark.parametrize(
    ("body", "seq"),
    [(b'{"seq": 7}', 7), (b"\xff not json", None), (b"[1, 2]", None), (b'{"seq": [1]}', None),
     (None, None)],
)  # fmt: skip
def test_a_heartbeat_that_is_not_a_json_object_is_answered_not_fatal(body, seq) -> None:
    from streams.runtime.heartbeat import _seq

    assert _seq(body) == seq
