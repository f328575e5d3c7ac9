"""Acceptance of the hub on the real broker: generated exports → real connectors → worker.

* 2,000 generated households give exactly the proposals (ids and contents) and retractions
  that the independent reference (``tests/unit/hub/reference.py``) computes;
* re-running the same exports against a fresh hub while its worker is SIGKILLed mid-stream
  and restarted gives the same proposal ids (duplicates allowed, with equal content);
* no identifier from the exports is in any topic, changelog, RocksDB file or worker log.

Order: the exports run month by month, consent first, each fully processed by the hub before
the next (``streams.runtime.lag.wait_caught_up``) — the order the demo uses. Within one export a
household's events keep the file's order: connectors key ingest messages per household, so
they share a partition (the topics have the catalogue's partitions).
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient

from schemas.catalogue import ensure_topics
from schemas.codec import decode
from schemas.models import JointActionProposal, ProposalRetraction
from schemas.settings import KafkaSettings
from schemas.topic_reader import read_to_end
from streams.ingress.keys import init_keys
from streams.runtime.lag import GroupLag, wait_caught_up
from streams.settings import HOUSEHOLD_GROUP_SUFFIX, INGRESS_GROUP_SUFFIX
from tests.unit.hub.reference import Outcome, content_of, export_events, reference

pytestmark = pytest.mark.integration

HOUSEHOLDS, SEED, MONTHS = 2000, 20261, 3
RULES = Path(__file__).resolve().parents[2] / "streams" / "rules" / "default.toml"
CONNECTOR = {"gemeente_toestemming": ("gemeente", "toestemming.toml"),
             "gemeente_werk": ("gemeente", "werk.toml"),
             "corporatie_huurachterstand": ("corporation", "huurachterstand.toml"),
             "school_verzuim": ("school", "verzuim.toml")}  # fmt: skip


def _cli(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "schemas.cli", *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip


@dataclasses.dataclass
class Hub:
    """One hub deployment: topic prefix, worker process, directories."""

    settings: KafkaSettings
    env: dict[str, str]
    work: Path
    worker: subprocess.Popen[bytes] | None = None

    @classmethod
    def create(cls, bootstrap: str, work: Path, keys: Path) -> Hub:
        prefix = f"t-{uuid.uuid4().hex[:10]}"
        settings = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=prefix)
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "WIJKHUB_TOPIC_PREFIX": prefix,
            "WIJKHUB_HUB_APP_ID": f"{prefix}-hub",
            "WIJKHUB_HUB_DATA_DIR": str(work / "hub"),
            "WIJKHUB_HUB_WEB_PORT": "0",
            "WIJKHUB_LOG_FORMAT": "json",
            "WIJKHUB_HUB_KEYS_DIR": str(keys),
            "WIJKHUB_HUB_PUBLIC_KEY": str(keys / "hub.pub"),
            "WIJKHUB_STATE_DIR": str(work / "connectors"),
            "WIJKHUB_HUB_COMMIT_INTERVAL": "0.2",  # a lag of 0 shows soon after the work
            "WIJKHUB_HUB_SESSION_TIMEOUT": "6",  # a killed worker's partitions free up soon
            # the stall watchdog, not the test, recovers a partition that stops being fetched
            "WIJKHUB_HUB_STALL_SECONDS": "10",
            "WIJKHUB_HUB_LAG_INTERVAL": "1",
        }
        work.mkdir(parents=True, exist_ok=True)
        ensure_topics(settings)  # the catalogue's, before any connector publishes
        return cls(settings, env, work)

    @property
    def group(self) -> str:
        return self.env["WIJKHUB_HUB_APP_ID"]

    def start(self) -> None:
        self.worker = _cli(["worker"], self.env, self.work / "worker.log")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.worker is not None
        self.worker.send_signal(sig)
        try:
            return self.worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.worker.kill()
            self.worker.wait()
            raise

    def log(self) -> str:
        return (self.work / "worker.log").read_text("utf-8", "replace")[-4000:]

    def connector(self, exports: Path, name: str) -> subprocess.Popen[bytes]:
        """Start the connector for export ``name``."""
        partner, mapping = CONNECTOR[name.rsplit("_", 1)[0]]
        args = ["connector", "run", partner, "--input", str(exports / name),
                "--mapping", str(exports / "mappings" / mapping)]  # fmt: skip
        return _cli(args, self.env, self.work / "connectors.log")

    def publish(self, exports: Path, name: str) -> None:
        """Run the connector for export ``name`` to its end."""
        code = self.connector(exports, name).wait(timeout=120)
        assert code in (0, 3), (self.work / "connectors.log").read_text()[-3000:]

    def wait(self, timeout: float = 90) -> float:
        """Wait until the hub has caught up. A partition that stops being fetched (as in
        faust-streaming/faust#629) is the worker's own stall watchdog's to recover
        (``WIJKHUB_HUB_STALL_SECONDS``): the test never restarts the worker for it."""
        worker = self.worker
        alive = (lambda: worker.poll() is None) if worker is not None else None
        try:
            return wait_caught_up(self.settings, self.group, timeout=timeout, alive=alive)
        except Exception:
            print(self.log())
            raise

    def remove(self) -> None:
        admin = KafkaAdminClient(**self.settings.kafka_python_config())
        try:
            admin.delete_topics(topics_of(self.settings))
        finally:
            admin.close()


def runs(exports: Path) -> list[str]:
    """Export file names in run order: month by month, consent first."""
    return [name for name, _events in export_events(exports)]


def topics_of(settings: KafkaSettings) -> list[str]:
    """Every topic of the prefix: the catalogue's, the hub's own, Faust's changelogs."""
    admin = KafkaAdminClient(**settings.kafka_python_config())
    try:
        return sorted(t for t in admin.list_topics() if t.startswith(settings.topic_prefix))
    finally:
        admin.close()


def published(settings: KafkaSettings) -> Outcome:
    """Proposals and retractions on ``proposals.v1``; a repeated id must repeat its content."""
    got = Outcome()
    for message in read_to_end(settings, settings.topic("proposals.v1")):
        record = decode(message.value, message.headers)
        if isinstance(record, JointActionProposal):
            content = content_of(record)
            assert got.proposals.setdefault(record.proposal_id, content) == content
        elif isinstance(record, ProposalRetraction):
            reason = record.reason.value
            assert got.retractions.setdefault(record.proposal_id, reason) == reason
    return got


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The generated exports and the hub's keys, shared by the tests of this module."""
    base = tmp_path_factory.mktemp("acceptance")
    exports, keys = base / "exports", base / "keys"
    gen = ["generate", "--households", str(HOUSEHOLDS), "--seed", str(SEED),
           "--months", str(MONTHS), "--out", str(exports)]  # fmt: skip
    assert _cli(gen, dict(os.environ), base / "generate.log").wait(timeout=120) == 0
    init_keys(keys)
    return exports, keys


@pytest.fixture(scope="module")
def first_run(
    bootstrap_servers: str, inputs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hub]:
    """Every export through the connectors and one worker, which is then stopped."""
    exports, keys = inputs
    hub = Hub.create(bootstrap_servers, tmp_path_factory.mktemp("run1"), keys)
    try:
        hub.start()
        try:
            for name in runs(exports):
                hub.publish(exports, name)
                hub.wait()
        finally:
            code = hub.stop()
        assert code == 0, hub.log()
        yield hub
    finally:
        hub.remove()


def test_proposals_equal_the_reference(first_run: Hub, inputs: tuple[Path, Path]) -> None:
    exports, keys = inputs
    expected = reference(exports, keys, RULES)
    got = published(first_run.settings)
    assert len(expected.proposals) >= 30, "the scenario should make proposals"
    assert sorted(got.proposals) == sorted(expected.proposals)
    for pid, content in expected.proposals.items():
        assert got.proposals[pid] == content
    assert got.retractions == expected.retractions


def test_rerun_with_sigkills_gives_the_same_proposal_ids(
    bootstrap_servers: str,
    first_run: Hub,
    inputs: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    exports, keys = inputs
    hub = Hub.create(bootstrap_servers, tmp_path / "run2", keys)
    names = runs(exports)
    # SIGKILL while the hub works on these exports (months two and three), this many seconds
    # after its ingress began to forward them: early, and deeper into the proposals
    kill_in = {names[5]: 0.0, names[6]: 0.3, names[7]: 0.15, names[10]: 0.2, names[11]: 0.4}
    killed_mid_stream = 0
    hub.start()
    try:
        for name in names:
            if name in kill_in:
                connector = hub.connector(exports, name)
                killed_mid_stream += _kill_while_busy(hub, connector, kill_in[name])
                _wait_until_group_empty(hub)
                hub.start()
            else:
                hub.publish(exports, name)
            hub.wait()
    finally:
        hub.stop()
    try:
        again = published(hub.settings)
        assert killed_mid_stream >= 1, "no SIGKILL hit the hub while it had work to do"
        text = (hub.work / "worker.log").read_text("utf-8", "replace")
        print(f"stalls the watchdog recovered: {text.count('partition stalled')}")
        first = published(first_run.settings)
        assert sorted(again.proposals) == sorted(first.proposals), hub.log()
        assert again.retractions.keys() == first.retractions.keys()
    finally:
        hub.remove()


def test_workers_joining_and_leaving_mid_stream_give_the_reference(
    bootstrap_servers: str, inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    """A second worker (its own data dir, as on another machine) joins while the first works
    on an export, and later the first leaves while the second works: both stages rebalance
    twice, household state moves through the changelog, and the proposals must still be
    exactly the reference's."""
    exports, keys = inputs
    hub = Hub.create(bootstrap_servers, tmp_path / "run3", keys)
    names = runs(exports)
    second_env = {**hub.env, "WIJKHUB_HUB_DATA_DIR": str(tmp_path / "run3" / "second")}
    second: subprocess.Popen[bytes] | None = None
    hub.start()
    try:
        for n, name in enumerate(names):
            connector = hub.connector(exports, name)
            if n == 4:  # month two: a second worker joins while the export is processed
                time.sleep(0.2)
                second = _cli(["worker"], second_env, hub.work / "second.log")
            elif n == 8:  # month three: the first worker leaves while the export is processed
                time.sleep(0.2)
                assert hub.stop() == 0, hub.log()
                hub.worker = second
            assert connector.wait(timeout=120) in (0, 3), (hub.work / "connectors.log").read_text()
            hub.wait()
    finally:
        for proc in (hub.worker, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=60)
    try:
        assert second is not None
        assert second.returncode == 0, (hub.work / "second.log").read_text()[-3000:]
        expected = reference(exports, keys, RULES)
        got = published(hub.settings)
        assert sorted(got.proposals) == sorted(expected.proposals)
        for pid, content in expected.proposals.items():
            assert got.proposals[pid] == content
        assert got.retractions == expected.retractions
        restored = [
            json.loads(line)["changelog_entries"]
            for line in (hub.work / "second.log").read_text().splitlines()
            if '"household partition restored"' in line
        ]
        assert sum(restored) > 0, "the second worker must have taken over household state"
    finally:
        hub.remove()


def _kill_while_busy(
    hub: Hub, connector: subprocess.Popen[bytes], delay: float, limit: float = 30
) -> int:
    """SIGKILL the worker ``delay`` seconds after its ingress began to forward events of the
    export the connector is publishing; then let the connector finish. 1 if the worker had
    work left when killed."""
    assert hub.worker is not None
    forwarded = [hub.settings.topic("household-events.v1")]
    inputs = [hub.settings.topic(f"ingest.{d}.v1") for d in ("consent", "wonen", "school", "werk")]
    deadline = time.monotonic() + limit
    with (
        GroupLag(hub.settings, hub.group + INGRESS_GROUP_SUFFIX) as ingress,
        GroupLag(hub.settings, hub.group + HOUSEHOLD_GROUP_SUFFIX) as household,
    ):
        start = ingress.ends(forwarded)
        while ingress.ends(forwarded) == start and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(delay)
        busy = sum(ingress.lag(inputs).values()) + sum(household.lag(forwarded).values()) > 0
    hub.stop(signal.SIGKILL)
    assert connector.wait(timeout=120) in (0, 3), (hub.work / "connectors.log").read_text()
    return int(busy)


def _wait_until_group_empty(hub: Hub, limit: float = 30) -> None:
    """Wait until the broker has dropped the killed worker from the group (its session
    timed out), so the restarted worker joins once instead of joining and then rebalancing
    again mid-recovery (a restart as a supervisor with back-off would do it)."""
    admin = KafkaAdminClient(**hub.settings.kafka_python_config())
    deadline = time.monotonic() + limit
    try:
        for group in (
            hub.group,
            hub.group + INGRESS_GROUP_SUFFIX,
            hub.group + HOUSEHOLD_GROUP_SUFFIX,
        ):
            while admin.describe_groups([group])[group]["members"]:
                assert time.monotonic() < deadline, f"the killed worker stayed in {group}"
                time.sleep(0.2)
    finally:
        admin.close()


def _identifiers(exports: Path) -> set[bytes]:
    """Every household address, in the forms the generator writes and the canonical one."""
    truth = json.loads((exports / "TEST-ONLY-ground-truth.json").read_text("utf-8"))
    found: set[bytes] = set()
    for file in truth["files"]:
        for row in file["valid"]:
            _, postcode, number, _addition = row["id"].split("|")
            spaced = f"{postcode[:4]} {postcode[4:]}"
            found |= {postcode.encode(), spaced.encode(), spaced.lower().encode(),
                      row["id"].encode(), f"{postcode}|{number}".encode(),
                      f"{postcode}{number}".encode(), f"{postcode} {number}".encode()}  # fmt: skip
    return found


def test_no_identifier_in_topics_changelogs_state_or_log(
    first_run: Hub, inputs: tuple[Path, Path]
) -> None:
    exports, _ = inputs
    needles = _identifiers(exports)
    assert len(needles) > 1000
    topics = topics_of(first_run.settings)
    assert any(t.endswith(".households-changelog") for t in topics), topics
    refs: set[bytes] = set()
    for topic in topics:
        for m in read_to_end(first_run.settings, topic):
            blob = b"\0".join([m.key or b"", m.value or b"", *(v for _, v in m.headers)])
            assert not [n for n in needles if n in blob], f"an identifier on {topic}"
            if topic.endswith(".households-changelog") and m.key:
                refs.add(m.key)
    state = b"".join(p.read_bytes() for p in (first_run.work / "hub").rglob("*") if p.is_file())
    assert any(ref in state for ref in refs), "the scan must see the state's plain keys"
    assert not [n for n in needles if n in state], "an identifier in the worker's data dir"
    log = (first_run.work / "worker.log").read_bytes()
    assert not [n for n in needles if n in log], "an identifier in the worker's log"
