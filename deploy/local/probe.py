"""Readiness probe of the local broker: log in and ask for the cluster's metadata, stdlib only.

Usage: python3 probe.py HOST:PORT [TIMEOUT] [--cafile PEM] [--user NAME --password-file FILE]
                        [--mechanism SCRAM-SHA-512]

Prints ``brokers=B partitions=P under_replicated=U`` and exits 0 when the broker answered a
Metadata request (over TLS with ``--cafile``, after a SASL login with ``--user``) naming at
least one broker; prints why not on stderr and exits 1 otherwise. kafka.sh uses it before any
Python dependency is installed, so the wire code (``schemas/_kafka_wire.py``) is loaded by its
path, without importing the ``schemas`` package.
"""

import argparse
import importlib.util
import ssl
import sys
from pathlib import Path

_WIRE = Path(__file__).resolve().parents[2] / "schemas" / "_kafka_wire.py"


def _wire():  # a module loaded by its path
    spec = importlib.util.spec_from_file_location("_wijkhub_kafka_wire", _WIRE)
    if spec is None or spec.loader is None:
        raise SystemExit(f"probe: cannot load {_WIRE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("address", help="HOST:PORT")
    parser.add_argument("timeout", nargs="?", type=float, default=2.0)
    parser.add_argument("--cafile", help="CA certificate (PEM): connect with TLS")
    parser.add_argument("--user", help="SASL user name: log in")
    parser.add_argument("--password-file", help="file holding the SASL password")
    parser.add_argument("--mechanism", default="SCRAM-SHA-512")
    args = parser.parse_args()
    wire = _wire()
    host, _, port = args.address.rpartition(":")
    context = ssl.create_default_context(cafile=args.cafile) if args.cafile else None
    login = None
    if args.user:
        password = Path(args.password_file).read_text(encoding="utf-8").strip()
        login = wire.Login(args.mechanism, args.user, password)
    try:
        view = wire.probe(
            host or "127.0.0.1", int(port), ssl_context=context, login=login, timeout=args.timeout
        )
    except wire.ProbeError as exc:
        print(f"probe: {exc}", file=sys.stderr)
        return 1
    if view.brokers < 1:
        print("probe: the broker lists no brokers yet", file=sys.stderr)
        return 1
    print(f"brokers={view.brokers} partitions={view.partitions} "
          f"under_replicated={view.under_replicated}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
