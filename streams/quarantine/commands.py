"""``wijkhub quarantine list|show|release|discard``: the operator's command for parked records.

Output never holds a record's content: where it was read, when, why, its size and digest,
whether the hub could tell its household (the pseudonym at most, in ``show``), and the names
and sizes of its original headers.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from schemas.models import ActorRole

__all__ = ["describe_value", "register"]

_REASON_COLUMN = 60
_CARRIED = frozenset({"parked", "released"})


def _desk() -> Any:
    from schemas.settings import KafkaSettings
    from streams.quarantine.operator import QuarantineDesk
    from streams.settings import HubSettings

    return QuarantineDesk(KafkaSettings(), HubSettings())


def describe_value(value: bytes | None, *, carried: bool = True) -> str:
    """What a parked value is, without showing a byte of it: its encoding and schema."""
    from schemas._registry import MAGIC, registry

    if not carried:
        return "not kept in this state"
    if value is None:
        return "none (a tombstone)"
    if value[:2] != MAGIC or len(value) < 10:
        return "not Avro single-object encoding"
    found = registry().by_fingerprint.get(bytes(value[2:10]))
    if found is None:
        return f"Avro single-object encoding, unknown schema fingerprint {value[2:10].hex()}"
    entry, writer = found
    return f"Avro single-object encoding, {entry.spec.name} v{writer.version}"


def _holds(entry: Any) -> str:
    if entry.held_by:
        return f"held by {entry.held_by[:8]}"
    if entry.hold:
        return "household" if entry.hold.startswith("hh:") else "subject key"
    return "-"


def _summary(entry: Any) -> dict[str, Any]:
    origin = entry.origin.message
    return {
        "id": entry.id,
        "state": entry.state,
        "at": entry.at.isoformat(),
        "topic": origin.topic,
        "partition": origin.partition,
        "offset": origin.offset,
        "reason": entry.reason,
        "holds": _holds(entry),
        "held_by": entry.held_by,
        "household_known": entry.hh_ref is not None,
        "attempt": entry.attempt,
        "size": entry.origin.size,
        "by_reference": entry.origin.truncated,
        "actor": entry.actor or None,
        "outcome": entry.outcome or None,
    }


def _list(args: argparse.Namespace) -> int:
    view = _desk().load()
    entries = view.entries() if args.all else view.open()
    out = sys.stdout
    if args.json:
        for entry in entries:
            out.write(json.dumps(_summary(entry)) + "\n")
        return 0
    if not entries:
        out.write("nothing parked\n" if not args.all else "no records\n")
        return 0
    out.write(f"{'ID':36}  {'STATE':10}  {'SINCE (UTC)':16}  {'READ AT':34}  {'HOLDS':17}  "
              "REASON\n")  # fmt: skip
    for e in entries:
        where = f"{e.origin.message.topic.split('.', 1)[-1]}:{e.origin.message.partition}:" \
                f"{e.origin.message.offset}"  # fmt: skip
        reason = e.reason if len(e.reason) <= _REASON_COLUMN else e.reason[:_REASON_COLUMN] + "…"
        out.write(f"{e.id:36}  {e.state:10}  {e.at:%Y-%m-%d %H:%M}  {where:34}  "
                  f"{_holds(e):17}  {reason}\n")  # fmt: skip
    return 0


def _show(args: argparse.Namespace) -> int:
    desk = _desk()
    view = desk.load()
    entry = desk.find(view, args.id)
    info = _summary(entry)
    info["household"] = entry.hh_ref or "unknown"
    info["sha256"] = entry.origin.sha256
    info["value"] = describe_value(entry.origin.message.value, carried=entry.state in _CARRIED)
    info["original_headers"] = [f"{k} ({len(v)} bytes)" for k, v in entry.origin.message.headers]
    info["holding"] = [f.id for f in view.followers(entry.id)]
    info["parked_by"] = entry.read_from
    if args.json:
        sys.stdout.write(json.dumps(info) + "\n")
        return 0
    for name, value_ in info.items():
        shown = ", ".join(value_) if isinstance(value_, list) else value_
        sys.stdout.write(f"{name:17} {shown if shown not in (None, '') else '-'}\n")
    return 0


def _act(args: argparse.Namespace) -> int:
    from streams.quarantine.operator import Actor

    actor = Actor(args.actor, ActorRole(args.role), args.on_behalf_of)
    desk = _desk()
    act = desk.release if args.action == "release" else desk.discard
    done = act(args.id, actor)
    sys.stdout.write(done.message + "\n")
    return 0


def register(sub: Any) -> None:
    """Add ``quarantine`` and its actions to the ``wijkhub`` parser."""
    q = sub.add_parser(
        "quarantine",
        help="list, show, release or discard parked records (consent the hub cannot read)",
        description="Parked records wait on quarantine.v1 until an operator acts; see "
        "docs/hub.md, 'Poison records'. Release and discard are audited on audit.v1 and safe "
        "to run twice.",
    )
    actions = q.add_subparsers(dest="quarantine_command", metavar="ACTION", required=True)
    lst = actions.add_parser("list", help="the records awaiting an operator")
    lst.add_argument("--all", action="store_true", help="also those released, re-driven or "
                     "discarded (kept a week after they end)")  # fmt: skip
    lst.add_argument("--json", action="store_true", help="one JSON object per line")
    lst.set_defaults(handler=_list)
    show = actions.add_parser("show", help="everything about one record but its content")
    show.add_argument("id", help="the record's id (or its first 8+ characters)")
    show.add_argument("--json", action="store_true", help="one JSON object")
    show.set_defaults(handler=_show)
    for action, text in (
        ("release", "process the record again, once its cause is fixed (audited: decide)"),
        ("discard", "end the record unprocessed; what it held is processed (audited: purge)"),
    ):
        p = actions.add_parser(action, help=text)
        p.add_argument("id", help="the record's id (or its first 8+ characters)")
        p.add_argument("--actor", required=True, help="your account id (NEN 7513 user id)")
        p.add_argument("--role", default=ActorRole.FUNCTIONAL_ADMIN.value,
                       choices=[r.value for r in ActorRole], help="your role (default: "
                       "functional_admin)")  # fmt: skip
        p.add_argument("--on-behalf-of", default=None, help="account id you act for, if any")
        p.set_defaults(handler=_act, action=action)
