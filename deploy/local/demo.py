"""The wijkhub demo, end to end on the broker that ``make demo`` provides.

1. generates synthetic exports (``wijkhub generate``) and the hub's keys (``wijkhub keys init``);
2. creates the topics (``wijkhub topics create``) and starts the hub (``wijkhub worker``);
3. runs the three connectors month by month, consent first, and after each export waits until
   the hub's consumer group has committed everything (lag 0, stage by stage: see
   ``streams/lag.py``) so every run gives the same proposals;
4. prints the proposals on ``proposals.v1`` as a table, stops the worker, deletes the run's
   topics and consumer group (``WIJKHUB_DEMO_KEEP=1`` keeps them), removes its temp dir.

Every process it starts, it stops — also on failure, Ctrl-C or SIGTERM.
``WIJKHUB_DEMO_HOUSEHOLDS`` (default 1000) and ``WIJKHUB_DEMO_MONTHS`` (3) size the run.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import FrameType
from typing import Any

from kafka.admin import KafkaAdminClient

from schemas.codec import decode
from schemas.models import JointActionProposal, ProposalRetraction
from schemas.settings import KafkaSettings
from schemas.topic_reader import read_to_end
from streams.runtime.lag import wait_caught_up
from streams.settings import HOUSEHOLD_GROUP_SUFFIX, INGRESS_GROUP_SUFFIX

HOUSEHOLDS = int(os.environ.get("WIJKHUB_DEMO_HOUSEHOLDS", "1000"))
MONTHS = int(os.environ.get("WIJKHUB_DEMO_MONTHS", "3"))
KEEP = os.environ.get("WIJKHUB_DEMO_KEEP", "") == "1"
ORDER = (  # consent first: a signal is only kept for a household that consented
    ("gemeente", "gemeente_toestemming", "toestemming.toml", "csv"),
    ("gemeente", "gemeente_werk", "werk.toml", "jsonl"),
    ("corporation", "corporatie_huurachterstand", "huurachterstand.toml", "csv"),
    ("school", "school_verzuim", "verzuim.toml", "csv"),
)
PRIORITY = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
CHILDREN: list[subprocess.Popen[bytes]] = []


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``wijkhub ARGS`` in its own session: Ctrl-C reaches the demo, which stops it."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "schemas.cli", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    CHILDREN.append(proc)
    return proc


def wijkhub(args: list[str], env: dict[str, str], log: Path, timeout: float = 300) -> int:
    proc = start(args, env, log)
    try:
        return proc.wait(timeout=timeout)
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes], grace: float = 60) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; forget the process."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc in CHILDREN:
        CHILDREN.remove(proc)


def summary(log: Path) -> str:
    """``published N, rejected M`` from the last connector summary line in ``log``."""
    lines = log.read_text("utf-8", "replace").splitlines()
    last = next((x for x in reversed(lines) if ": read " in x), "")
    found = dict(re.findall(r"(?<!already )(published|rejected) (\d+)", last))
    return f"published {found.get('published', '?'):>4}, rejected {found.get('rejected', '?'):>2}"


def show(settings: KafkaSettings) -> None:
    proposals: dict[Any, JointActionProposal] = {}
    retracted: dict[Any, str] = {}
    for message in read_to_end(settings, settings.topic("proposals.v1")):
        record = decode(message.value, message.headers)
        if isinstance(record, JointActionProposal):
            proposals[record.proposal_id] = record  # at-least-once: dedupe by id
        elif isinstance(record, ProposalRetraction):
            retracted[record.proposal_id] = record.reason.value
    rows = sorted(proposals.values(), key=lambda p: (p.proposal_id in retracted,
                  PRIORITY[p.priority.value], p.respond_by, p.intake_ref))  # fmt: skip
    head = ("household", "priority", "rule", "domains", "respond by", "buurt", "intake_ref")
    widths = (18, 8, 13, 19, 10, 10, 15)
    print("   " + "  ".join(f"{h:<{w}}" for h, w in zip(head, widths, strict=True)) + "  state")
    for p in rows:
        cells = (f"{p.hh_ref[:17]}…", p.priority.value, p.rule,
                 "+".join(d.value for d in p.domains), p.respond_by.isoformat(),
                 p.buurt_code or "-", p.intake_ref)  # fmt: skip
        state = f"retracted ({retracted[p.proposal_id]})" if p.proposal_id in retracted else "open"
        print("   " + "  ".join(f"{c:<{w}}" for c, w in zip(cells, widths, strict=True)) + "  "
              + state)  # fmt: skip
    still = len(rows) - len(retracted.keys() & proposals.keys())
    print(f"\n   {len(rows)} proposals: {still} open, {len(rows) - still} retracted")


def run(workdir: Path, settings: KafkaSettings, env: dict[str, str]) -> None:
    t0 = time.monotonic()
    exports, keys, logs = workdir / "exports", workdir / "keys", workdir / "logs"
    logs.mkdir()
    step(f"generating synthetic exports ({HOUSEHOLDS} households, {MONTHS} months) and hub keys")
    gen = ["generate", "--households", str(HOUSEHOLDS), "--seed", "42", "--months", str(MONTHS),
           "--out", str(exports)]  # fmt: skip
    if wijkhub(gen, env, logs / "generate.log") != 0:
        raise SystemExit("demo: wijkhub generate failed; see above")
    if wijkhub(["keys", "init", "--dir", str(keys)], env, logs / "keys.log") != 0:
        raise SystemExit("demo: wijkhub keys init failed")
    step(f"starting the hub worker (topics {settings.topic_prefix}.*)")
    # the topics first, as an operator does: the first connector must not race the worker,
    # which would create them too, but only once it is up (slow on a busy machine)
    if wijkhub(["topics", "create"], env, logs / "topics.log") != 0:
        raise SystemExit(f"demo: topics create failed:\n{(logs / 'topics.log').read_text()}")
    worker = start(["worker"], env, logs / "worker.log")
    months = sorted({p.name.rsplit("_", 1)[1][:7] for p in exports.glob("gemeente_werk_*")})
    step("running the connectors (exit 3: the synthetic exports hold bad rows on purpose)")
    for month in months:
        for partner, stem, mapping, ext in ORDER:
            file, log = exports / f"{stem}_{month}.{ext}", logs / f"{stem}_{month}.log"
            t = time.monotonic()
            code = wijkhub(["connector", "run", partner, "--input", str(file), "--mapping",
                            str(exports / "mappings" / mapping)], env, log)  # fmt: skip
            if code not in (0, 3):
                raise SystemExit(f"demo: connector failed (exit {code}):\n{log.read_text()}")
            ran = time.monotonic() - t
            waited = wait_caught_up(settings, env["WIJKHUB_HUB_APP_ID"],
                                    alive=lambda: worker.poll() is None)  # fmt: skip
            print(
                f"   {month} {partner:<11} {stem:<27} {summary(log)}, exit {code}  "
                f"(connector {ran:4.1f}s, hub {waited:4.1f}s)",
                flush=True,
            )
    step("proposals on proposals.v1")
    show(settings)
    step("stopping the hub worker")
    stop(worker)
    print(f"   exit code {worker.returncode}; demo took {time.monotonic() - t0:.0f}s")


def remove_topics(settings: KafkaSettings, group: str) -> None:
    """Delete the run's topics (``<prefix>.*``, the hub's ``<app id>.*`` and Faust's
    ``<app id>-*``) and consumer groups (``<app id>``, ``.ingress``, ``.household``)."""
    admin = KafkaAdminClient(**settings.kafka_python_config())
    try:
        ours = (f"{settings.topic_prefix}.", f"{group}-", f"{group}.")
        mine = [t for t in admin.list_topics() if t.startswith(ours)]
        if mine:
            admin.delete_topics(mine)
        admin.delete_groups([group, group + INGRESS_GROUP_SUFFIX, group + HOUSEHOLD_GROUP_SUFFIX])
    except Exception as exc:
        print(f"   could not remove every topic of {settings.topic_prefix} ({exc})")
    finally:
        admin.close()


def on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in background
    run_id = f"demo-{uuid.uuid4().hex[:6]}"
    workdir = Path(tempfile.mkdtemp(prefix="wijkhub-demo-"))
    env = dict(os.environ, WIJKHUB_TOPIC_PREFIX=run_id, WIJKHUB_HUB_APP_ID=f"{run_id}-hub",
               WIJKHUB_HUB_DATA_DIR=str(workdir / "hub"), WIJKHUB_HUB_WEB_PORT="0",
               WIJKHUB_HUB_KEYS_DIR=str(workdir / "keys"), WIJKHUB_HUB_COMMIT_INTERVAL="0.2",
               WIJKHUB_HUB_PUBLIC_KEY=str(workdir / "keys" / "hub.pub"),
               WIJKHUB_STATE_DIR=str(workdir / "state"), WIJKHUB_LOG_FORMAT="json")  # fmt: skip
    bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    settings = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=run_id)
    try:
        run(workdir, settings, env)
    except KeyboardInterrupt:
        print("\n   interrupted; stopping", flush=True)
        return 130
    except Exception:
        worker_log = workdir / "logs" / "worker.log"
        if worker_log.exists():
            print(f"   last lines of the worker's log:\n{worker_log.read_text()[-3000:]}")
        raise
    else:
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip clean-up
        for child in list(CHILDREN):
            stop(child)
        if not KEEP:
            remove_topics(settings, env["WIJKHUB_HUB_APP_ID"])
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
