"""Poison records never stop the hub: one running worker, every kind of poison, on the broker.

One scenario (a module fixture, so one worker serves every kind) and one test per kind:

* seven kinds of unreadable consent record on ``ingest.consent.v1`` — random bytes, a
  tombstone, valid Avro without headers, sealed to another hub key, a WorkSignal, an
  ``intake_ref`` off its pattern, a forged CloudEvents id — and an oversized one; each is
  followed on the *same partition* by a marker household's consent, whose proposal proves
  that the worker went past the poison and kept processing other households;
* an oversized value (the broker's limit) on each signal topic, followed by a marker signal;
* the operator command then releases or discards each parked record: a released record
  that is now readable is processed (the hub key restored), one that is not is parked again,
  a discarded one is audited and never processed, and what a parked record held (the same
  household's later signals) is processed after it — or not at all while it is parked.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer
from nacl.public import PublicKey

from schemas.catalogue import ensure_topics
from schemas.cli import main as wijkhub
from schemas.codec import decode
from schemas.models import AuditAction, AuditEntry, JointActionProposal
from schemas.settings import KafkaSettings
from schemas.topic_reader import read_to_end
from streams.ingress.keys import HubKeys, init_keys, load_keys
from streams.quarantine.operator import QuarantineDesk
from streams.quarantine.records import Entry
from streams.runtime.lag import wait_caught_up
from streams.settings import HubSettings
from tests.support import poison

pytestmark = pytest.mark.integration

OVERSIZE = 1_048_400  # with its key and overhead just under the broker's default 1,048,588
CONSENT = "ingest.consent.v1"
CONSENT_KINDS = ("random_bytes", "tombstone", "no_headers", "other_key", "work_signal",
                 "bad_intake_ref", "forged_id", "oversize_consent")  # fmt: skip
SIGNAL_TOPICS = {"ingest.wonen.v1": poison.arrears, "ingest.school.v1": poison.absence,
                 "ingest.werk.v1": poison.work}  # fmt: skip


@dataclass
class Sent:
    topic: str
    partition: int
    offset: int


@dataclass
class Hub:
    """The hub under test: its settings, keys, worker, and what the scenario recorded."""

    settings: KafkaSettings
    env: dict[str, str]
    work: Path
    keys: HubKeys
    other: PublicKey
    worker: subprocess.Popen[bytes] | None = None
    producer: Any = None
    poison: dict[str, Sent] = field(default_factory=dict)
    markers: dict[str, tuple[int, Sent]] = field(default_factory=dict)
    parked: dict[str, Entry] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def app_id(self) -> str:
        return self.env["WIJKHUB_HUB_APP_ID"]

    def start(self, keys_dir: Path) -> None:
        env = {**self.env, "WIJKHUB_HUB_KEYS_DIR": str(keys_dir)}
        with (self.work / "worker.log").open("ab") as out:
            args = [sys.executable, "-m", "schemas.cli", "worker"]
            self.worker = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)

    def stop(self) -> int:
        assert self.worker is not None
        self.worker.send_signal(signal.SIGTERM)
        try:
            return self.worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.worker.kill()
            return self.worker.wait()

    def log(self) -> str:
        return (self.work / "worker.log").read_text("utf-8", "replace")

    def send(self, topic: str, encoded: tuple[bytes | None, list[tuple[str, bytes]]], *,
             key: bytes, partition: int | None = None) -> Sent:  # fmt: skip
        value, headers = encoded
        meta = self.producer.send(self.settings.topic(topic), value=value, key=key,
                                  headers=headers, partition=partition).get(30)  # fmt: skip
        return Sent(topic, meta.partition, meta.offset)

    def wait(self) -> None:
        worker = self.worker
        alive = (lambda: worker.poll() is None) if worker is not None else None
        try:
            wait_caught_up(self.settings, self.app_id, timeout=120, alive=alive)
        except Exception:
            print(self.log()[-6000:])
            raise

    def cli(self, *args: str) -> tuple[int, str]:
        """Run ``wijkhub ARGS`` in this process (its env: this hub); exit code and output."""
        out, err = io.StringIO(), io.StringIO()
        with pytest.MonkeyPatch.context() as mp:
            for name in ("KAFKA_BOOTSTRAP_SERVERS", "WIJKHUB_TOPIC_PREFIX", "WIJKHUB_HUB_APP_ID"):
                mp.setenv(name, self.env[name])
            with redirect_stdout(out), redirect_stderr(err):
                code = wijkhub(list(args))
        return code, out.getvalue() + err.getvalue()

    def quarantine(self) -> dict[str, Entry]:
        view = QuarantineDesk(self.settings, HubSettings(app_id=self.app_id)).load()
        return {e.id: e for e in view.entries()}

    def proposals(self) -> dict[str, list[JointActionProposal]]:
        found: dict[str, list[JointActionProposal]] = defaultdict(list)
        for m in read_to_end(self.settings, self.settings.topic("proposals.v1")):
            record = decode(m.value, m.headers)
            if isinstance(record, JointActionProposal):
                found[record.hh_ref].append(record)
        return found

    def audit(self) -> list[AuditEntry]:
        return [decode(m.value, m.headers)
                for m in read_to_end(self.settings, self.settings.topic("audit.v1"))]  # fmt: skip

    def find(self, kind: str) -> Entry:
        sent = self.poison[kind]
        (entry,) = [e for e in self.quarantine().values()
                    if (e.origin.message.topic, e.origin.message.partition, e.origin.message.offset)
                    == (self.settings.topic(sent.topic), sent.partition, sent.offset)]  # fmt: skip
        return entry


def _keys_dir(base: Path, name: str, *, private_from: Path, pseudonym_from: Path) -> Path:
    out = base / name
    out.mkdir()
    shutil.copy(private_from / "hub.key", out / "hub.key")
    shutil.copy(pseudonym_from / "pseudonym.key", out / "pseudonym.key")
    return out


def _scenario(hub: Hub, keys_dir: Path, fixed_keys: Path) -> None:
    pub = PublicKey(bytes(hub.keys.private_key.public_key))
    n = iter(range(1, 10_000))
    # -- 0. a running worker: households W, E and F consent; W's proposal shows it works --
    hub.start(keys_dir)
    w, e, f = next(n), next(n), next(n)
    for hh in (w, e, f):
        hub.send(CONSENT, poison.consent(pub, hh), key=f"gem-{hh}".encode())
    hub.wait()
    hub.send("ingest.wonen.v1", poison.arrears(pub, w), key=b"cor-w")
    hub.send("ingest.werk.v1", poison.work(pub, w), key=b"gem-w")
    hub.wait()
    hub.outputs["warm"] = poison.household(hub.keys, w) in hub.proposals()
    # -- 1. each poison on the consent topic, then a marker's consent on the same partition --
    d = next(n)
    poisons = {
        "random_bytes": poison.random_bytes(1),
        "tombstone": (None, []),
        "no_headers": poison.without_headers(pub, next(n)),
        "other_key": poison.consent(hub.other, d),
        "work_signal": poison.work(pub, e),  # household E: known, so it is held
        "bad_intake_ref": poison.bad_intake_ref(pub, f),  # household F: known, held
        "forged_id": poison.forged_id(pub, next(n)),
        "oversize_consent": poison.oversize(OVERSIZE),
    }
    for i, (kind, encoded) in enumerate(poisons.items()):
        key = {"other_key": b"gem-d", "work_signal": b"gem-e", "bad_intake_ref": b"gem-f"}.get(
            kind, f"poison-{kind}".encode())  # fmt: skip
        hub.poison[kind] = hub.send(CONSENT, encoded, key=key, partition=i % 6)
        marker = next(n)
        sent = hub.send(CONSENT, poison.consent(pub, marker), key=f"gem-{marker}".encode(),
                        partition=i % 6)  # fmt: skip
        hub.markers[kind] = (marker, sent)
    for topic in SIGNAL_TOPICS:
        hub.markers[topic] = (marker := next(n), Sent("", -1, -1))
        hub.send(CONSENT, poison.consent(pub, marker), key=f"gem-{marker}".encode())
    hub.wait()
    # -- 2. the markers' signals; oversized signals before a marker signal on their partition;
    #       households E and F send signals while their consent record is parked -------------
    for kind in CONSENT_KINDS:
        marker = hub.markers[kind][0]
        hub.send("ingest.wonen.v1", poison.arrears(pub, marker), key=f"cor-{marker}".encode())
        hub.send("ingest.werk.v1", poison.work(pub, marker), key=f"gem-{marker}".encode())
    for i, (topic, build) in enumerate(SIGNAL_TOPICS.items()):
        marker = hub.markers[topic][0]
        hub.poison[topic] = hub.send(topic, poison.oversize(OVERSIZE), key=b"big", partition=i)
        sent = hub.send(topic, build(pub, marker), key=f"m-{marker}".encode(), partition=i)
        hub.markers[topic] = (marker, sent)
        other = "ingest.school.v1" if topic != "ingest.school.v1" else "ingest.wonen.v1"
        hub.send(other, SIGNAL_TOPICS[other](pub, marker), key=f"o-{marker}".encode())
    for hh in (e, f):
        hub.send("ingest.wonen.v1", poison.arrears(pub, hh), key=f"cor-{hh}".encode())
        hub.send("ingest.werk.v1", poison.work(pub, hh), key=f"gem-{hh}".encode())
    hub.wait()
    proposals = hub.proposals()
    hub.outputs["marker_proposals"] = {k: poison.household(hub.keys, m) in proposals
                                       for k, (m, _) in hub.markers.items()}  # fmt: skip
    hub.outputs["held_without_proposal"] = {
        "E": poison.household(hub.keys, e) not in proposals,
        "F": poison.household(hub.keys, f) not in proposals,
    }
    hub.parked = {kind: hub.find(kind) for kind in CONSENT_KINDS}
    held = [x for x in hub.quarantine().values() if x.held_by]
    hub.outputs["held"] = {k: sorted(x.origin.message.topic.rsplit(".", 2)[-2] for x in held
                                     if x.held_by == hub.parked[k].id)
                           for k in ("work_signal", "bad_intake_ref")}  # fmt: skip
    hub.outputs["deadletters"] = read_to_end(hub.settings, hub.settings.topic("deadletter.v1"))
    # -- 3. the operator ---------------------------------------------------------------------
    q = hub.parked
    e_works = [x for x in held if x.held_by == q["work_signal"].id
               and x.origin.message.topic.endswith(".werk.v1")]  # fmt: skip
    assert e_works, "household E's werk signal was not held"
    e_work = e_works[0]
    hub.outputs["e_work"] = e_work
    hub.outputs["release_held"] = hub.cli("quarantine", "release", e_work.id, "--actor", "ops-1")
    hub.outputs["list"] = hub.cli("quarantine", "list")
    hub.outputs["show"] = hub.cli("quarantine", "show", q["bad_intake_ref"].id[:8])
    discards = [e_work.id, *(q[k].id for k in ("random_bytes", "tombstone", "no_headers",
                                              "work_signal", "bad_intake_ref",
                                              "oversize_consent"))]  # fmt: skip
    for qid in discards:
        hub.outputs[f"discard {qid}"] = hub.cli("quarantine", "discard", qid, "--actor", "ops-1")
    hub.outputs["discard again"] = hub.cli("quarantine", "discard", q["random_bytes"].id,
                                           "--actor", "ops-1")  # fmt: skip
    hub.outputs["release forged"] = hub.cli(
        "quarantine", "release", q["forged_id"].id, "--actor", "ops-1", "--on-behalf-of", "coord-7"
    )
    hub.wait()
    hub.outputs["forged after release"] = hub.find("forged_id")
    hub.outputs["discard forged"] = hub.cli("quarantine", "discard", q["forged_id"].id,
                                            "--actor", "ops-1")  # fmt: skip
    hub.wait()
    proposals = hub.proposals()
    hub.outputs["after_discard"] = {"E": poison.household(hub.keys, e) in proposals,
                                    "F": poison.household(hub.keys, f) in proposals}  # fmt: skip
    # -- 4. the hub key restored: the record sealed to it is released and processed ----------
    assert hub.stop() == 0, hub.log()[-4000:]
    hub.start(fixed_keys)
    hub.wait()
    hub.outputs["release other"] = hub.cli("quarantine", "release", q["other_key"].id,
                                           "--actor", "ops-1")  # fmt: skip
    hub.wait()
    hub.send("ingest.wonen.v1", poison.arrears(hub.other, d), key=b"cor-d")
    hub.send("ingest.werk.v1", poison.work(hub.other, d), key=b"gem-d")
    hub.wait()
    hub.outputs["released_proposal"] = poison.household(hub.keys, d) in hub.proposals()
    hub.outputs["release other again"] = hub.cli("quarantine", "release", q["other_key"].id,
                                                 "--actor", "ops-1")  # fmt: skip
    hub.outputs["final"] = hub.quarantine()
    hub.outputs["audit"] = hub.audit()
    hub.outputs["log"] = hub.log()


@pytest.fixture(scope="module")
def hub(bootstrap_servers: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    work = tmp_path_factory.mktemp("poison")
    prefix = f"t-{hashlib.sha256(str(work).encode()).hexdigest()[:10]}"
    settings = KafkaSettings(bootstrap_servers=bootstrap_servers, topic_prefix=prefix)
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
           "WIJKHUB_TOPIC_PREFIX": prefix, "WIJKHUB_HUB_APP_ID": f"{prefix}-hub",
           "WIJKHUB_HUB_DATA_DIR": str(work / "hub"), "WIJKHUB_HUB_WEB_PORT": "0",
           "WIJKHUB_LOG_FORMAT": "json", "WIJKHUB_HUB_COMMIT_INTERVAL": "0.2",
           "WIJKHUB_HUB_SESSION_TIMEOUT": "6"}  # fmt: skip
    init_keys(work / "keys")
    init_keys(work / "other")  # the key some records were sealed to: the "right" one in step 4
    fixed = _keys_dir(work, "fixed", private_from=work / "other", pseudonym_from=work / "keys")
    ensure_topics(settings)
    hub = Hub(settings, env, work, load_keys(work / "keys"),
              PublicKey(bytes(load_keys(work / "other").private_key.public_key)))  # fmt: skip
    hub.producer = KafkaProducer(**settings.kafka_python_config(), acks="all",
                                 max_request_size=2 * 1024 * 1024)  # fmt: skip
    try:
        _scenario(hub, work / "keys", fixed)
        yield hub
    finally:
        hub.producer.close()
        if hub.worker is not None and hub.worker.poll() is None:
            hub.stop()


# -- the worker keeps going ----------------------------------------------------------------


def test_the_worker_ran_and_never_stopped(hub: Hub) -> None:
    assert hub.outputs["warm"], "the warm-up household got no proposal"
    assert hub.worker is not None
    assert hub.worker.poll() is None, hub.log()[-3000:]
    assert "Traceback" not in hub.outputs["log"]


@pytest.mark.parametrize("kind", [*CONSENT_KINDS, *SIGNAL_TOPICS])
def test_a_marker_household_behind_the_poison_got_its_proposal(hub: Hub, kind: str) -> None:
    marker_sent = hub.markers[kind][1]
    poison_sent = hub.poison[kind]
    assert (marker_sent.partition, marker_sent.topic) == (poison_sent.partition, poison_sent.topic)
    assert marker_sent.offset > poison_sent.offset  # the worker had to go past the poison
    assert hub.outputs["marker_proposals"][kind], f"no proposal for the marker behind {kind}"


# -- each consent kind: parked with its reason, never dead-lettered ------------------------

REASONS = {
    "random_bytes": "single-object marker",
    "tombstone": "no value",
    "no_headers": "missing CloudEvents header",
    "other_key": "cannot be opened with the hub key",
    "work_signal": "WorkSignal does not belong",
    "bad_intake_ref": "intake_ref",
    "forged_id": "header ce_id",
    "oversize_consent": "unknown schema fingerprint",
}
HOLDS = {"no_headers": "hh", "work_signal": "hh", "bad_intake_ref": "hh", "forged_id": "hh",
         "random_bytes": "key", "tombstone": "key", "other_key": "key",
         "oversize_consent": "key"}  # fmt: skip


@pytest.mark.parametrize("kind", CONSENT_KINDS)
def test_each_unreadable_consent_record_is_parked_with_its_reason(hub: Hub, kind: str) -> None:
    entry = hub.parked[kind]
    assert REASONS[kind] in entry.reason
    assert entry.hold is not None
    assert entry.hold.startswith(HOLDS[kind] + ":")
    assert entry.id in hub.outputs["list"][1]
    consent = hub.settings.topic(CONSENT).encode()
    assert all(dict(m.headers).get("dlq_topic") != consent for m in hub.outputs["deadletters"])


def test_an_oversized_consent_record_is_parked_whole(hub: Hub) -> None:
    entry = hub.parked["oversize_consent"]
    assert entry.origin.size == OVERSIZE
    assert not entry.origin.truncated
    assert entry.origin.sha256 == hashlib.sha256(poison.oversize(OVERSIZE)[0]).hexdigest()


@pytest.mark.parametrize("topic", SIGNAL_TOPICS)
def test_an_oversized_signal_is_dead_lettered_by_reference(hub: Hub, topic: str) -> None:
    sent = hub.poison[topic]
    (letter,) = [m for m in hub.outputs["deadletters"]
                 if dict(m.headers)["dlq_topic"] == hub.settings.topic(topic).encode()
                 and dict(m.headers)["dlq_offset"] == str(sent.offset).encode()]  # fmt: skip
    headers = dict(letter.headers)
    assert headers["dlq_truncated"] == str(OVERSIZE).encode()
    digest = hashlib.sha256(poison.oversize(OVERSIZE)[0]).hexdigest()
    assert headers["dlq_sha256"] == digest.encode()
    assert len(letter.value) == 1024


# -- failing closed for the household, and the operator's actions --------------------------


def test_a_known_household_is_held_while_its_consent_record_is_parked(hub: Hub) -> None:
    assert hub.outputs["held_without_proposal"] == {"E": True, "F": True}
    assert hub.outputs["held"] == {"work_signal": ["werk", "wonen"],
                                   "bad_intake_ref": ["werk", "wonen"]}  # fmt: skip
    code, text = hub.outputs["release_held"]
    assert code == 1
    assert "is held behind" in text


def test_discarding_the_head_processes_what_it_held(hub: Hub) -> None:
    # F's signals were held behind its unreadable consent record; discarded, they count (on
    # F's earlier valid consent), while E's werk signal was itself discarded: one domain left
    assert hub.outputs["after_discard"] == {"E": False, "F": True}


def test_a_discarded_record_is_audited_once_and_never_processed(hub: Hub) -> None:
    final = hub.outputs["final"]
    discarded = [hub.outputs["e_work"], *(hub.parked[k] for k in (
        "random_bytes", "tombstone", "no_headers", "work_signal", "bad_intake_ref",
        "oversize_consent", "forged_id"))]  # fmt: skip
    for entry in discarded:
        code, text = hub.outputs.get(f"discard {entry.id}", hub.outputs["discard forged"])
        assert code == 0, text
        assert "discarded" in text
        assert final[entry.id].state == "discarded"
    # one purge per discarded record, about its household when known, else about the record
    purged = Counter(a.object_id for a in hub.outputs["audit"] if a.action is AuditAction.PURGE)
    assert purged == Counter(e.hh_ref or e.id for e in discarded)
    assert {a.actor_id for a in hub.outputs["audit"]} == {"ops-1"}
    code, text = hub.outputs["discard again"]
    assert code == 0
    assert "already discarded" in text


def test_a_release_whose_cause_remains_parks_the_record_again(hub: Hub) -> None:
    code, text = hub.outputs["release forged"]
    assert code == 0
    assert "released" in text
    again = hub.outputs["forged after release"]
    assert again.state == "parked"
    assert again.attempt == 2
    assert "ce_id" in again.reason
    decided = [a for a in hub.outputs["audit"] if a.action is AuditAction.DECIDE
               and a.object_id == hub.parked["forged_id"].hh_ref]  # fmt: skip
    assert len(decided) == 1
    assert decided[0].on_behalf_of == "coord-7"


def test_a_released_record_that_is_now_readable_is_processed(hub: Hub) -> None:
    code, text = hub.outputs["release other"]
    assert code == 0, text
    assert hub.outputs["final"][hub.parked["other_key"].id].state == "resolved"
    assert hub.outputs["released_proposal"], "the released consent did not count"
    code, text = hub.outputs["release other again"]
    assert code == 0
    assert "already re-driven" in text


def test_nothing_is_left_parked_and_no_content_is_shown(hub: Hub) -> None:
    assert [e for e in hub.outputs["final"].values() if e.open] == []
    code, shown = hub.outputs["show"]
    assert code == 0
    assert "intake_ref" in shown
    assert "household" in shown
    assert "intake 42" not in shown  # the record's content is never shown
