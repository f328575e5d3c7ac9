"""Proposals sinks for case systems: proposals and retractions as CloudEvents JSON, to a JSON
Lines file or an HTTP webhook; at least once, deduplicated by (type, proposal_id)."""

from inbox.sink.runner import SinkStats, run_sink
from inbox.sink.targets import JsonlTarget, SinkTarget, WebhookTarget

__all__ = ["JsonlTarget", "SinkStats", "SinkTarget", "WebhookTarget", "run_sink"]
