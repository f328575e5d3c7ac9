"""``wijkhub`` sub-commands of the shared kernel: ``topics create`` and ``asyncapi``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]

EXIT_DRIFT = 3
"""Exit code of ``topics create`` when every topic exists but some differ from the catalogue."""


def _topics_create(args: argparse.Namespace) -> int:
    from schemas.catalogue import ensure_topics
    from schemas.settings import KafkaSettings

    settings = KafkaSettings()
    report = ensure_topics(settings, replication=args.replication)
    out = sys.stdout
    for name in report.created:
        out.write(f"created   {name}\n")
    for name in report.unchanged:
        out.write(f"ok        {name}\n")
    for drift in report.drift:
        out.write(f"DRIFT     {drift}\n")
    if report.drift:
        out.write(
            "Topics differ from the catalogue (schemas/catalogue.py). Partitions can only grow "
            "(kafka-topics --alter); configs change with kafka-configs --alter.\n"
        )
        return EXIT_DRIFT
    return 0


def _asyncapi(args: argparse.Namespace) -> int:
    from schemas.asyncapi import asyncapi_document
    from schemas.settings import KafkaSettings

    settings = KafkaSettings()
    doc = asyncapi_document(prefix=settings.topic_prefix, server=settings.servers[0])
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if args.out is None or str(args.out) == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


def register(sub: Any) -> None:
    """Add this package's sub-commands to the ``wijkhub`` parser."""
    topics = sub.add_parser("topics", help="Manage the topics of the catalogue.")
    topics_sub = topics.add_subparsers(dest="topics_command", metavar="ACTION", required=True)
    create = topics_sub.add_parser(
        "create",
        help="Create missing topics and report drift (exit 3 on drift).",
        description="Apply the topic catalogue to the cluster in KAFKA_BOOTSTRAP_SERVERS, "
        "under WIJKHUB_TOPIC_PREFIX. Safe to run again: existing topics are compared, "
        "never changed.",
    )
    create.add_argument(
        "--replication",
        type=int,
        default=None,
        help="Replication factor (default: the catalogue's, capped at the number of brokers).",
    )
    create.set_defaults(handler=_topics_create)

    asyncapi = sub.add_parser(
        "asyncapi", help="Write the AsyncAPI 3.0 document of all topics and messages."
    )
    asyncapi.add_argument(
        "--out", type=Path, default=None, help="File to write (default: standard output)."
    )
    asyncapi.set_defaults(handler=_asyncapi)
