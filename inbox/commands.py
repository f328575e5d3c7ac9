"""``wijkhub`` sub-commands of the inbox: ``inbox``, ``proposals``, ``sink`` and ``audit``.

Registered through the ``wijkhub.commands`` entry point; everything heavy is imported inside
the handlers, so ``wijkhub --help`` stays fast and works where the ``inbox`` extra is not installed.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any
from uuid import UUID

from schemas.models import Decision, DecisionOutcome

__all__ = ["register"]


def _serve(_args: argparse.Namespace) -> int:
    from inbox.config import InboxSettings
    from inbox.server import serve
    from schemas.settings import KafkaSettings

    return serve(InboxSettings(), KafkaSettings())


def _hash_password(args: argparse.Namespace) -> int:
    from inbox.passwords import hash_password

    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("wijkhub: error: the passwords differ", file=sys.stderr)
            return 1
    if len(password) < 12:
        print("wijkhub: error: use at least 12 characters", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


def _client(args: argparse.Namespace) -> Any:
    from inbox.client import InboxClient
    from inbox.errors import InboxError

    if not args.user:
        raise InboxError("give --user or set WIJKHUB_INBOX_USER (your coordinator id)")
    password = os.environ.get("WIJKHUB_INBOX_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise InboxError("set WIJKHUB_INBOX_PASSWORD, or run in a terminal to be asked")
        password = getpass.getpass(f"Password for {args.user}: ")
    return InboxClient(args.url, args.user, password)


def _out(args: argparse.Namespace, data: Any, lines: list[str]) -> None:
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print("\n".join(lines))


def _list(args: argparse.Namespace) -> int:
    rows = _client(args).list()
    lines = [
        f"{r['proposal_id']}  {r['priority']:<7} {r['respond_by']}"
        f"{' OVERDUE' if r['overdue'] else '        '}  {r['buurt_code'] or '-':<10}  "
        f"{r['rule']}  {','.join(r['domains'])}"
        for r in rows
    ]
    _out(args, rows, lines or ["no open proposals in your buurten"])
    return 0


def _show(args: argparse.Namespace) -> int:
    p = _client(args).show(args.proposal_id)
    lines = [f"{k}: {v}" for k, v in p.items() if k not in {"signals", "decisions"}]
    lines += [f"signal: {s['domain']} {s['kind']} since {s['since']}" for s in p["signals"]]
    lines += [
        f"decision: {d['decision']} {d['outcome'] or ''} at {d['decided_at']}"
        for d in p["decisions"]
    ]
    _out(args, p, lines)
    return 0


def _decide(args: argparse.Namespace) -> int:
    result = _client(args).decide(args.proposal_id, args.decision, args.outcome)
    note = "recorded" if result["new"] else "was already recorded"
    _out(args, result, [f"decision {result['decision_id']} {note}"])
    return 0


def _audit_show(args: argparse.Namespace) -> int:
    from inbox.trail import read_trail
    from schemas.settings import KafkaSettings

    entries = read_trail(KafkaSettings(), args.proposal)
    if args.json:
        print(json.dumps([e.model_dump(mode="json") for e in entries], indent=2))
        return 0
    if not entries:
        print(f"no audit entries for proposal {args.proposal}")
    for e in entries:
        behalf = f" on behalf of {e.on_behalf_of}" if e.on_behalf_of else ""
        print(f"{e.at.isoformat()}  {e.action.value:<7} {e.actor_role.value}:{e.actor_id}{behalf}")
    return 0


def _sink(args: argparse.Namespace) -> int:
    from inbox.audit import Auditor
    from inbox.config import InboxSettings
    from inbox.publisher import KafkaEventPublisher
    from inbox.sink import JsonlTarget, WebhookTarget, run_sink
    from inbox.sink.runner import ExportAudit
    from schemas.settings import KafkaSettings

    kafka = KafkaSettings()
    target: Any
    if args.sink_kind == "jsonl":
        target = JsonlTarget(args.out)
    else:
        state = args.state or Path(f".wijkhub/sink/{args.group}.delivered")
        target = WebhookTarget(args.url, state=state, max_attempts=args.max_attempts)
    publisher = KafkaEventPublisher(kafka)
    audit = ExportAudit(Auditor(publisher, source=InboxSettings().source), args.actor_id)
    try:
        stats = run_sink(
            kafka, target, group_id=args.group, audit=audit, once=args.once, stop=threading.Event()
        )
    finally:
        publisher.close()
    print(f"delivered {stats.delivered}, duplicates {stats.duplicates}, skipped {stats.skipped}")
    return 0


def _api_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        default=os.environ.get("WIJKHUB_INBOX_URL", "http://127.0.0.1:8080"),
        help="inbox base URL (WIJKHUB_INBOX_URL; default http://127.0.0.1:8080)",
    )
    parser.add_argument(
        "--user",
        default=os.environ.get("WIJKHUB_INBOX_USER"),
        help="your coordinator id (WIJKHUB_INBOX_USER); the password comes from "
        "WIJKHUB_INBOX_PASSWORD or a prompt",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


def _register_proposals(sub: Any) -> None:
    proposals = sub.add_parser("proposals", help="list, show and decide proposals (inbox API)")
    actions = proposals.add_subparsers(dest="proposals_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="open proposals in your buurten, most urgent first")
    _api_options(listing)
    listing.set_defaults(handler=_list)
    show = actions.add_parser("show", help="one proposal (the view is audited)")
    show.add_argument("proposal_id", type=UUID)
    _api_options(show)
    show.set_defaults(handler=_show)
    decide = actions.add_parser("decide", help="record a decision on a proposal")
    decide.add_argument("proposal_id", type=UUID)
    decide.add_argument("decision", choices=[d.value for d in Decision])
    decide.add_argument(
        "--outcome", choices=[o.value for o in DecisionOutcome], help="required with 'closed'"
    )
    _api_options(decide)
    decide.set_defaults(handler=_decide)


def _register_sink(sub: Any) -> None:
    sink = sub.add_parser("sink", help="deliver proposals to a case system (JSONL or webhook)")
    kinds = sink.add_subparsers(dest="sink_kind", metavar="KIND", required=True)
    jsonl = kinds.add_parser("jsonl", help="append CloudEvents JSON lines to a file")
    jsonl.add_argument("--out", type=Path, required=True, help="the JSON Lines file")
    webhook = kinds.add_parser("webhook", help="POST CloudEvents JSON to a URL, with retries")
    webhook.add_argument("--url", required=True, help="the receiver's URL")
    webhook.add_argument(
        "--state", type=Path, help="file of delivered ids (default under .wijkhub/sink)"
    )
    webhook.add_argument("--max-attempts", type=int, default=8, help="per event (default 8)")
    for parser, kind in ((jsonl, "jsonl"), (webhook, "webhook")):
        parser.add_argument("--group", default=f"wijkhub-sink-{kind}", help="Kafka consumer group")
        parser.add_argument(
            "--actor-id", default=f"sink-{kind}", help="account id in the audit trail"
        )
        parser.add_argument("--once", action="store_true", help="stop when caught up")
        parser.set_defaults(handler=_sink)


def register(sub: Any) -> None:
    """Add the inbox's sub-commands to the ``wijkhub`` parser."""
    inbox = sub.add_parser("inbox", help="the case coordinators' web inbox")
    actions = inbox.add_subparsers(dest="inbox_command", metavar="ACTION", required=True)
    actions.add_parser(
        "serve", help="run the inbox web app (settings: WIJKHUB_INBOX_*, see docs/inbox.md)"
    ).set_defaults(handler=_serve)
    hashing = actions.add_parser("hash-password", help="hash a password for coordinators.toml")
    hashing.add_argument("--stdin", action="store_true", help="read the password from stdin")
    hashing.set_defaults(handler=_hash_password)
    _register_proposals(sub)
    _register_sink(sub)
    audit = sub.add_parser("audit", help="read the NEN 7513 audit trail")
    audit_actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    show = audit_actions.add_parser("show", help="a proposal's trail, oldest first")
    show.add_argument("--proposal", type=UUID, required=True, help="the proposal_id")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_audit_show)
