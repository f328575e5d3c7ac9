"""The hub's Faust agents under ``agent.test_context()``: no broker, real codec.

``test_context(sink=[])`` leaves out the agent's sending sink (faust-streaming 0.15 keeps
sinks in the test wrapper); what the agent would send is in ``ctx.results`` as outboxes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from nacl.public import PublicKey, SealedBox

from schemas.codec import decode, encode
from schemas.identity import canonical_id
from schemas.models import HouseholdEvent, RentArrearsSignal, SignalStatus
from schemas.settings import KafkaSettings
from streams.app import create_app
from streams.config import HubSettings
from streams.keys import init_keys, load_keys
from tests.unit.hub.factories import arrears

SOURCE = "urn:nld:kvknr:12345678.huurbeheer"


@pytest.fixture
def app(tmp_path: Path):
    init_keys(tmp_path / "keys")
    hub = HubSettings(
        app_id="unit-hub", store="memory", data_dir=tmp_path / "data", web_port=0,
        keys_dir=tmp_path / "keys",
    )  # fmt: skip
    app = create_app(KafkaSettings(topic_prefix="unit"), hub)
    app.finalize()
    app.conf.store = "memory://"
    app.flow_control.resume()
    return app


def _encoded(event: HouseholdEvent):
    return encode(event, source=SOURCE, time=event.occurred_at)


def test_ingress_pseudonymises_and_dead_letters(app, tmp_path: Path) -> None:
    agent = app.wijkhub_ingress
    keys = load_keys(tmp_path / "keys")
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

    async def scenario() -> list:
        async with agent.test_context(sink=[]) as ctx:
            await ctx.put(key=b"k", value=good.value, headers=good.headers)
            await ctx.put(key=b"k", value=b"not avro", headers=[])
            return [ctx.results[0], ctx.results[1]]

    forwarded, dead = asyncio.run(scenario())
    assert forwarded.outcome == "signal"
    (out,) = forwarded.messages
    event = decode(out.value, out.headers)
    assert isinstance(event, HouseholdEvent)
    assert out.key == event.hh_ref.encode()
    assert b"1234" not in out.value + out.key
    assert dead.outcome == "deadletter"
    headers = dict(dead.messages[0].headers)
    assert dead.messages[0].topic == "deadletter.v1"
    assert b"single-object" in headers["dlq_reason"]
