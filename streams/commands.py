"""``wijkhub`` sub-commands of the hub."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register"]


def _worker(args: argparse.Namespace) -> int:
    from streams.runtime.worker import run_worker  # imports Faust: only when the hub runs

    return run_worker(loglevel=args.loglevel)


def _keys_init(args: argparse.Namespace) -> int:
    from streams.ingress.keys import init_keys

    pseudonym = init_keys(Path(args.dir))
    note = f"pseudonym key id {pseudonym.key_id}; give partners hub.pub only"
    print(f"hub keys written to {args.dir} ({note})")
    return 0


def _register_keys(sub: Any) -> None:
    keys = sub.add_parser("keys", help="manage the hub's key pair and pseudonym key")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    init = keys_sub.add_parser(
        "init", help="create hub.key, hub.pub and pseudonym.key (mode 0600, never overwritten)"
    )
    init.add_argument("--dir", required=True, help="directory for the key files")
    init.set_defaults(handler=_keys_init)


def register(sub: Any) -> None:
    """Add the hub's sub-commands to the ``wijkhub`` parser."""
    worker = sub.add_parser("worker", help="run the hub (Faust worker) until SIGTERM or Ctrl-C")
    worker.add_argument(
        "--loglevel",
        default="warn",
        choices=["crit", "error", "warn", "info", "debug"],
        help="Faust's own log level (wijkhub's logs follow WIJKHUB_LOG_LEVEL)",
    )
    worker.set_defaults(handler=_worker)
    _register_keys(sub)
    from streams.quarantine.commands import register as register_quarantine

    register_quarantine(sub)
