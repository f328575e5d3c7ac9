"""Sink targets without a broker: CloudEvents JSON, JSONL dedupe, webhook retries/backoff."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from inbox.sink import JsonlTarget, WebhookTarget
from inbox.sink.cloudevents import dedupe_key, to_cloudevent
from inbox.sink.targets import SinkError
from schemas.codec import encode
from tests.support.inbox import make_proposal

SOURCE = "urn:nld:oin:00000001234567890000:systeem:wijkhub"
P = make_proposal("sink")


def _event(seed="sink"):
    record = make_proposal(seed)
    return to_cloudevent(record, encode(record, source=SOURCE).headers)


def test_cloudevent_carries_the_kafka_attributes_and_json_data():
    event = _event()
    assert event["specversion"] == "1.0"
    assert event["id"] == str(P.proposal_id)
    assert event["source"] == SOURCE
    assert event["type"].startswith("nl.")
    assert event["datacontenttype"] == "application/json"
    assert event["data"]["respond_by"] == P.respond_by.isoformat()
    assert dedupe_key(event) == f"{event['type']}/{P.proposal_id}"
    json.dumps(event)  # serialisable as it is


def test_jsonl_target_dedupes_across_restarts(tmp_path):
    path = tmp_path / "out" / "proposals.jsonl"
    first = JsonlTarget(path)
    event = _event()
    assert not first.delivered(dedupe_key(event))
    first.deliver(event)
    assert first.delivered(dedupe_key(event))
    again = JsonlTarget(path)
    assert again.delivered(dedupe_key(event))
    assert not again.delivered(dedupe_key(_event("other")))
    assert len(path.read_text().splitlines()) == 1


class _Hook(BaseHTTPRequestHandler):
    script: list[int]
    bodies: list[tuple[str, dict]]

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).bodies.append((self.headers["Content-Type"], body))
        self.send_response(self.script.pop(0) if self.script else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook():
    handler = type("Hook", (_Hook,), {"script": [], "bodies": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_webhook_retries_transient_failures_with_growing_backoff(hook, tmp_path):
    handler, url = hook
    handler.script[:] = [503, 429, 500]
    sleeps: list[float] = []
    target = WebhookTarget(url, state=tmp_path / "state", backoff_s=1.0, sleep=sleeps.append)
    target.deliver(_event())
    assert target.attempts == 4
    assert len(sleeps) == 3
    assert sleeps[0] < sleeps[1] < sleeps[2]  # 1, 2, 4 s, each with ±20 % jitter
    content_type, body = handler.bodies[-1]
    assert content_type.startswith("application/cloudevents+json")
    assert body["id"] == str(P.proposal_id)
    assert WebhookTarget(url, state=tmp_path / "state").delivered(dedupe_key(_event()))


def test_webhook_gives_up_after_max_attempts(hook, tmp_path):
    handler, url = hook
    handler.script[:] = [503] * 10
    target = WebhookTarget(url, state=tmp_path / "state", max_attempts=3, sleep=lambda _s: None)
    with pytest.raises(SinkError, match="after 3 attempts"):
        target.deliver(_event())
    assert not target.delivered(dedupe_key(_event()))


def test_webhook_does_not_retry_a_permanent_refusal(hook, tmp_path):
    handler, url = hook
    handler.script[:] = [400]
    target = WebhookTarget(url, state=tmp_path / "state", sleep=lambda _s: None)
    with pytest.raises(SinkError, match="refused"):
        target.deliver(_event())
    assert target.attempts == 1


def test_webhook_unreachable_is_retried_then_fails(tmp_path):
    target = WebhookTarget(
        "http://127.0.0.1:9/", state=tmp_path / "s", max_attempts=2, sleep=lambda _s: None
    )
    with pytest.raises(SinkError, match="no connection"):
        target.deliver(_event())
    assert target.attempts == 2


def test_webhook_url_must_be_http(tmp_path):
    with pytest.raises(SinkError, match="http"):
        WebhookTarget("file:///etc/passwd", state=tmp_path / "s")
