"""A proposal or retraction from Kafka as a CloudEvents 1.0 JSON event (structured mode)."""

from __future__ import annotations

from typing import Any

from schemas.models import JointActionProposal, ProposalRetraction

__all__ = ["dedupe_key", "to_cloudevent"]

_CE_ATTRIBUTES = ("id", "source", "type", "time", "dataschema")


def to_cloudevent(
    record: JointActionProposal | ProposalRetraction, headers: list[tuple[str, bytes]]
) -> dict[str, Any]:
    """The event with the context attributes the hub put in the Kafka headers."""
    found = {k: v.decode("utf-8") for k, v in headers if k.startswith("ce_")}
    event: dict[str, Any] = {"specversion": "1.0"}
    for name in _CE_ATTRIBUTES:
        if f"ce_{name}" in found:
            event[name] = found[f"ce_{name}"]
    event["datacontenttype"] = "application/json"
    event["data"] = record.model_dump(mode="json")
    return event


def dedupe_key(event: dict[str, Any]) -> str:
    """What makes an event a duplicate: its type and the proposal it is about."""
    return f"{event['type']}/{event['data']['proposal_id']}"
