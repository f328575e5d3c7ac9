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

# Which extra brings a third-party module, for a clear message on a partial install.
_EXTRA_OF = {
    "faust": "hub",
    "mode": "hub",
    "rocksdict": "hub",
    "fastapi": "inbox",
    "uvicorn": "inbox",
    "jinja2": "inbox",
    "itsdangerous": "inbox",
    "multipart": "inbox",
    "psycopg": "inbox",
    "kafka": "connectors",
    "nacl": "connectors",
    "tqdm": "connectors",
}


def missing_module_message(command: str, module: str | None) -> str:
    """What to tell a user whose install lacks ``module`` for ``wijkhub command``."""
    top = (module or "").split(".")[0]
    extra = _EXTRA_OF.get(top)
    if extra is None:
        return f"`wijkhub {command}` needs the Python module {module!r}, which is not installed"
    return (
        f"`wijkhub {command}` needs {top!r}, which this install does not have; "
        f"install it with: pip install 'wijkhub[{extra}]'"
    )


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
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in {"schemas", "connectors", "streams", "inbox"}:
            raise  # our own code is broken: show the traceback
        print(f"wijkhub: error: {missing_module_message(args.command, exc.name)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
