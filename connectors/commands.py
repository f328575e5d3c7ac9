"""``wijkhub`` sub-commands of the partner side: ``connector run``, ``connector state
show|rollback`` and ``generate``."""

from __future__ import annotations

import argparse
import functools
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    from connectors.partners import CONNECTORS
    from connectors.run_metrics import RunMetricsSettings, previous_success, write_run_metrics

    connector = CONNECTORS[args.partner].from_mapping(Path(args.mapping))
    textfile = RunMetricsSettings().textfile  # the run's summary for Prometheus, if set
    report = functools.partial(
        write_run_metrics, textfile, partner=args.partner, record=connector.spec.source.record,
        started=time.time(), previous_success=previous_success(textfile),
    )  # fmt: skip
    try:
        summary = connector.run(
            Path(args.input),
            dry_run=args.dry_run,
            as_of=args.as_of,
            rejects_path=Path(args.rejects) if args.rejects else None,
        )
    except Exception as exc:
        report(summary=None, failed=type(exc).__name__)
        raise
    report(summary=summary)
    print(f"{args.partner}: {summary.line()}")
    if summary.rejected:
        print(f"rejected rows (line, field, reason): {summary.rejects_file}")
    return summary.exit_code


def _state(args: argparse.Namespace) -> int:
    from connectors.partners import CONNECTORS
    from connectors.recovery import rollback, show

    connector = CONNECTORS[args.partner].from_mapping(Path(args.mapping))
    if args.state_command == "show":
        print("\n".join(show(connector)))
        return 0
    if args.to is None:
        print("wijkhub: error: rollback needs --to GENERATION (see `state show`)", file=sys.stderr)
        return 2
    summary = rollback(connector, args.to, dry_run=args.dry_run)
    verb = "would publish" if summary.dry_run else "published"
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(summary.changes.items())) or "none"
    print(
        f"{args.partner}: rollback to generation {args.to}: {verb} {summary.published}, "
        f"already published {summary.already_published}, unchanged {summary.unchanged} "
        f"(changes: {kinds})"
    )
    return 0


def _generate(args: argparse.Namespace) -> int:
    from connectors.synthetic.generate import TRUTH_FILE, generate

    files = generate(
        Path(args.out),
        households=args.households,
        seed=args.seed,
        months=args.months,
        start=args.start,
    )
    for file in files:
        print(f"{file.path}: {file.rows} rows ({file.bad} bad on purpose)")
    print(f"ground truth for tests only: {Path(args.out) / TRUTH_FILE}")
    return 0


def _month(text: str) -> date:
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError("expected a month as YYYY-MM") from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def register(sub: Any) -> None:
    """Add the partner side's sub-commands to the ``wijkhub`` parser."""
    from connectors.partners import CONNECTORS

    connector = sub.add_parser("connector", help="run a partner connector on an export")
    actions = connector.add_subparsers(dest="connector_command", metavar="ACTION", required=True)
    run = actions.add_parser(
        "run",
        help="publish an export (exit 0 ok, 3 some rows rejected, 1 failure, 2 usage)",
        description="Read an export, validate and minimise each row, seal the household "
        "identifier, and publish the changes to the partner's ingest topic. Environment: "
        "KAFKA_BOOTSTRAP_SERVERS, WIJKHUB_TOPIC_PREFIX, WIJKHUB_HUB_PUBLIC_KEY, "
        "WIJKHUB_STATE_DIR.",
    )
    run.add_argument("partner", choices=sorted(CONNECTORS))
    run.add_argument("--input", required=True, help="the export file (CSV or JSON Lines)")
    run.add_argument("--mapping", required=True, help="the mapping file (TOML)")
    run.add_argument("--dry-run", action="store_true", help="check and count; publish nothing")
    run.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help="export date (YYYY-MM-DD), overriding what the file says",
    )
    run.add_argument("--rejects", help="rejects file (default: <input>.rejects.csv)")
    run.set_defaults(handler=_run)

    state = actions.add_parser(
        "state",
        help="show the connector's state, or roll it back to a kept generation",
        description="show: the state of a source and the generations kept "
        "(WIJKHUB_STATE_HISTORY). rollback --to G: publish what takes the hub's view back to "
        "generation G (re-open, update back, resolve), then restore G, so the correct export "
        "can be run next; nothing is published twice. Environment as for `run`.",
    )
    state.add_argument("state_command", choices=("show", "rollback"), metavar="show|rollback")
    state.add_argument("partner", choices=sorted(CONNECTORS))
    state.add_argument("--mapping", required=True, help="the mapping file (TOML) of the source")
    state.add_argument("--to", type=int, help="rollback: the generation to go back to")
    state.add_argument("--dry-run", action="store_true", help="rollback: count, publish nothing")
    state.set_defaults(handler=_state)

    gen = sub.add_parser(
        "generate", help="write synthetic monthly exports of the three partners (test data)"
    )
    gen.add_argument("--households", type=_positive, required=True)
    gen.add_argument("--seed", type=int, required=True)
    gen.add_argument("--out", required=True, help="directory to write to")
    gen.add_argument("--months", type=_positive, default=2, help="consecutive months (2)")
    gen.add_argument("--start", type=_month, default=date(2026, 1, 1), help="first month")
    gen.set_defaults(handler=_generate)
