"""The inbox under a broker outage and a login attack, measured on the local broker.

    python -m bench.inbox_outage [--mode stop|hang] [--rounds N]

Runs ``wijkhub inbox serve`` on a fresh topic prefix, then:

1. logins: 40 wrong passwords for one account at once (the right one at position 31), and
   60 account names sprayed from one client: how many were checked (401) and refused (429);
2. load with the broker up: rounds of 45 detail views, 20 open-list calls and 20 ``/healthz``
   at once (latency p50 / p99 / max per kind);
3. the same with the broker down: ``--mode stop`` stops it (``kafka.sh stop``), ``--mode hang``
   freezes it (SIGSTOP: connections stay open, nothing answers); the first round starts the
   moment it is gone, before the inbox can have noticed;
4. the broker back: how long until ``/healthz`` is ready and a view succeeds; then which of
   the refused views (each round views proposals of its own) are on ``audit.v1`` after all;
5. SIGTERM: exit code and how long the clean stop took.

Needs the local broker of ``deploy/local/kafka.sh`` (it is stopped and started again); not
part of ``python -m bench``, whose other benchmarks would not survive that.
"""

from __future__ import annotations

import argparse
import base64
import functools
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from inbox.passwords import hash_password
from schemas.catalogue import ensure_topics
from schemas.codec import decode, encode
from schemas.models import (
    AuditAction,
    AuditEntry,
    ContributingSignal,
    Domain,
    JointActionProposal,
    Priority,
    SignalKind,
    SuggestedAction,
)
from schemas.settings import KafkaSettings
from schemas.topic_reader import read_to_end

KAFKA_SH = Path(__file__).resolve().parents[1] / "deploy" / "local" / "kafka.sh"
PASSWORD = "bench-wachtwoord-1"  # noqa: S105 - a synthetic account of this run only
BUURT = "BU03630001"
Result = tuple[str, int, float]  # kind, HTTP status, seconds


def _proposal(n: int) -> JointActionProposal:
    created = datetime.now(UTC)
    return JointActionProposal(
        proposal_id=uuid.uuid5(uuid.NAMESPACE_URL, f"bench-outage/{n}"),
        created_at=created,
        hh_ref="k1:" + uuid.uuid5(uuid.NAMESPACE_URL, f"bench-hh/{n}").hex * 2,
        intake_ref=f"INT-B{n:06d}",
        buurt_code=BUURT,
        rule="multi_domain",
        domains=(Domain.WONEN, Domain.SCHOOL),
        signals=(
            ContributingSignal(
                domain=Domain.WONEN, kind=SignalKind.RENT_ARREARS, since=date(2026, 8, 1)
            ),
        ),
        suggested_actions=(SuggestedAction.KITCHEN_TABLE_TALK,),
        priority=Priority.NORMAL,
        respond_by=created.date() + timedelta(days=28),
    )


def _call(url: str, user: str = "bench", password: str = PASSWORD, xff: str = "") -> int:
    request = urllib.request.Request(url)  # noqa: S310 - http://127.0.0.1 only
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    if xff:
        request.add_header("X-Forwarded-For", xff)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def _timed(kind: str, call: Callable[[], int]) -> Result:
    start = time.monotonic()
    status = call()
    return kind, status, time.monotonic() - start


def _round(base: str, proposals: list[JointActionProposal]) -> list[Result]:
    api = f"{base}/api/v1/proposals"
    calls: list[tuple[str, Callable[[], int]]] = [
        ("view", functools.partial(_call, f"{api}/{p.proposal_id}")) for p in proposals
    ]
    calls += [("list", lambda: _call(api))] * 20
    calls += [("healthz", lambda: _call(f"{base}/healthz"))] * 20
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda c: _timed(*c), calls))


def _summary(results: list[Result], kind: str) -> str:
    got = sorted(s for k, _, s in results if k == kind)
    if not got:
        return f"{kind}: none"
    statuses: dict[int, int] = {}
    for k, status, _ in results:
        if k == kind:
            statuses[status] = statuses.get(status, 0) + 1
    p99 = got[min(len(got) - 1, round(0.99 * (len(got) - 1)))]
    return (
        f"{kind:8} n={len(got):4}  p50={got[len(got) // 2]:.3f}s  p99={p99:.3f}s  "
        f"max={got[-1]:.3f}s  statuses={dict(sorted(statuses.items()))}"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _broker_pid() -> int:
    out = subprocess.run(
        ["bash", str(KAFKA_SH), "status"], capture_output=True, text=True, check=True
    )
    return int(out.stdout.split("(pid ")[1].split(")")[0])


def _wait(predicate: Callable[[], bool], timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.1)
    return float("nan")


def _logins(base: str) -> None:
    api = f"{base}/api/v1/proposals"
    passwords = ["wrong"] * 30 + [PASSWORD] + ["wrong"] * 9
    with ThreadPoolExecutor(40) as pool:
        burst = list(pool.map(lambda p: _call(api, password=p, xff="203.0.113.7"), passwords))
    print(
        f"40 wrong logins at once: {burst.count(401)} checked (401), {burst.count(429)} "
        f"refused (429), the right one at #31 got {burst[30]}"
    )
    other = _call(api, xff="198.51.100.20")
    time.sleep(1.0)
    after = _call(api, xff="203.0.113.7")
    print(f"the real user from another address: {other}; from the same one after 1 s: {after}")
    with ThreadPoolExecutor(60) as pool:
        names = [f"c-{n}" for n in range(60)]
        spray = list(pool.map(lambda u: _call(api, user=u, xff="203.0.113.99"), names))
    print(
        f"60 names sprayed from one client: {spray.count(401)} checked, {spray.count(429)} refused"
    )


def main() -> int:  # noqa: PLR0915 - one scenario, read top to bottom
    parser = argparse.ArgumentParser(prog="python -m bench.inbox_outage", description=__doc__)
    parser.add_argument("--mode", choices=("stop", "hang"), default="stop")
    parser.add_argument("--rounds", type=int, default=5, help="load rounds per phase")
    args = parser.parse_args()
    settings = KafkaSettings(topic_prefix=f"bench-outage-{uuid.uuid4().hex[:8]}")
    ensure_topics(settings)
    proposals = [_proposal(n) for n in range(45 * (2 * args.rounds + 2))]
    from kafka import KafkaProducer

    producer: Any = KafkaProducer(**settings.kafka_python_config(), acks="all")
    for p in proposals:
        encoded = encode(p, source="urn:nld:oin:00000001234567890000:systeem:bench")
        producer.send(
            settings.topic("proposals.v1"), key=p.hh_ref.encode(), value=encoded.value,
            headers=encoded.headers,
        )  # fmt: skip
    producer.flush()
    producer.close()
    work = Path(tempfile.mkdtemp(prefix="bench-inbox-"))
    (work / "coordinators.toml").write_text(
        f'[[coordinator]]\nid = "bench"\nbuurten = ["{BUURT}"]\n'
        f'password_hash = "{hash_password(PASSWORD)}"\n'
    )
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "WIJKHUB_TOPIC_PREFIX": settings.topic_prefix,
        "WIJKHUB_INBOX_COORDINATORS": str(work / "coordinators.toml"),
        "WIJKHUB_INBOX_STORE": str(work / "inbox.sqlite3"),
        "WIJKHUB_INBOX_SESSION_SECRET": secrets.token_urlsafe(32),
        "WIJKHUB_INBOX_PORT": str(port),
        "WIJKHUB_INBOX_TRUSTED_PROXIES": "127.0.0.1",
        "WIJKHUB_LOG_FORMAT": "json",
    }
    log = (work / "inbox.log").open("wb")
    inbox = subprocess.Popen([sys.executable, "-m", "schemas.cli", "inbox", "serve"], env=env,
                             stdout=log, stderr=log)  # fmt: skip
    waited = _wait(lambda: _call(f"{base}/healthz") == 200, 120)
    print(f"inbox ready in {waited:.1f}s on {settings.topic_prefix}; log {work / 'inbox.log'}")
    _logins(base)
    chunks = [proposals[i : i + 45] for i in range(0, len(proposals), 45)]
    up: list[Result] = []
    for r in range(args.rounds):
        up += _round(base, chunks[r])
    print("\nbroker up:")
    for kind in ("view", "list", "healthz"):
        print("  " + _summary(up, kind))
    pid = _broker_pid()
    if args.mode == "stop":
        subprocess.run(["bash", str(KAFKA_SH), "stop"], check=True, capture_output=True)
    else:
        os.kill(pid, signal.SIGSTOP)
    gone = time.monotonic()
    down: list[Result] = []
    refused_chunks = chunks[args.rounds : 2 * args.rounds]
    detected = float("nan")
    for chunk in refused_chunks:
        down += _round(base, chunk)
        if detected != detected and _call(f"{base}/healthz") == 503:  # noqa: PLR0124 - NaN
            detected = time.monotonic() - gone
        time.sleep(1.0)
    print(f"\nbroker down ({args.mode}); /healthz said so after <= {detected:.1f}s:")
    for kind in ("view", "list", "healthz"):
        print("  " + _summary(down, kind))
    back = time.monotonic()
    if args.mode == "stop":
        subprocess.run(["bash", str(KAFKA_SH), "start"], check=True, capture_output=True)
    else:
        os.kill(pid, signal.SIGCONT)
    started = time.monotonic() - back
    ready = _wait(lambda: _call(f"{base}/healthz") == 200, 120)
    marker = chunks[-1][0]
    viewed = _wait(lambda: _call(f"{base}/api/v1/proposals/{marker.proposal_id}") == 200, 120)
    print(
        f"\nbroker back (start took {started:.1f}s): /healthz ready after {ready:.1f}s more, "
        f"a view succeeded after {viewed:.1f}s"
    )
    time.sleep(2)
    messages = read_to_end(settings, settings.topic("audit.v1"), timeout=60)
    entries = [decode(m.value, m.headers) for m in messages]
    views = [e for e in entries if isinstance(e, AuditEntry) and e.action is AuditAction.VIEW]
    refused_ids = {str(p.proposal_id) for c in refused_chunks for p in c}
    shown_during = sum(1 for k, s, _ in down if k == "view" and s == 200)
    leaked = [e for e in views if e.object_id in refused_ids]
    print(
        f"audit.v1: {len(views)} view entries; views during the outage: "
        f"{sum(1 for k, _, _ in down if k == 'view')} asked, {shown_during} shown, "
        f"{len(leaked) - shown_during} refused yet in the trail"
    )
    start = time.monotonic()
    inbox.send_signal(signal.SIGTERM)
    code = inbox.wait(timeout=60)
    print(f"SIGTERM: exit {code} after {time.monotonic() - start:.1f}s")
    lines = (work / "inbox.log").read_text().splitlines()
    print(f"inbox log: {len(lines)} lines ({sum(1 for x in lines if not x.startswith('{'))} "
          "from kafka-python)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
