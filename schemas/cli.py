"""The ``wijkhub`` command.

Each installed package contributes its sub-commands through the ``wijkhub.commands`` entry
point group (see ``pyproject.toml``): the partner install (``wijkhub[connectors]``) shows the
connector commands only, the hub install the hub's, and no package imports another.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

from schemas.errors import WijkhubError
from schemas.logging import configure_logging

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The parser with every installed package's sub-commands."""
    parser = argparse.ArgumentParser(
        prog="wijkhub", description="Integration hub for the integrale wijkaanpak."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for ep in sorted(entry_points(group="wijkhub.commands"), key=lambda e: e.name):
        try:
            register = ep.load()
        except ImportError:
            continue  # that part of wijkhub is not installed here (e.g. no Faust at a partner)
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``wijkhub``; returns the exit code (0 ok, 1 failure, 2 usage, 3 partial success)."""
    configure_logging()
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except WijkhubError as exc:
        print(f"wijkhub: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
