"""A full disk and a read-only state directory: a clean error, and nothing published twice.

The state directory is a real 64 KiB tmpfs where the machine allows one (a private mount
namespace: ``unshare -m``, as root), so the kernel answers ENOSPC and EROFS itself; otherwise
a file size limit (``RLIMIT_FSIZE``: short writes, then EFBIG) and ``chmod 0500``. Either way
the connector is a real ``wijkhub connector run`` process on the real broker:

* full disk: every event is delivered, the commit does not fit; the run exits 1 before it
  reports anything as published, leaves the previous state whole (its in-flight record), and
  after space is freed the same export completes with "already published N", 0 duplicates;
* read-only: the run exits 1 at once, nothing published; writable again, it runs normally.
"""

from __future__ import annotations

import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from connectors_kit import entry_for
from test_connectors import consume

from connectors.synthetic.generate import TRUTH_FILE, generate
from schemas.catalogue import ensure_topics, topic_spec
from streams.ingress.keys import init_keys

pytestmark = pytest.mark.integration

TOPIC = "ingest.wonen.v1"
STATE_FILE = "corporatie-woonstad.RentArrearsSignal.state.json"


def _tmpfs_works() -> bool:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d && umount $d; rmdir $d"
    done = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", probe],
        capture_output=True, timeout=30, check=False,
    )  # fmt: skip
    return done.returncode == 0


TMPFS = _tmpfs_works()
VARIANTS = [
    pytest.param(
        "tmpfs", marks=pytest.mark.skipif(not TMPFS, reason="no mount namespace (not root)")
    ),
    "rlimit",  # runs everywhere: the kernel's file size limit, chmod for read-only
]


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    out = tmp_path_factory.mktemp("exports")
    generate(out, households=2000, seed=31, months=2)
    truth = json.loads((out / TRUTH_FILE).read_text())
    keys = tmp_path_factory.mktemp("keys")
    init_keys(keys)
    return out, truth, keys


@pytest.fixture
def env(kafka_settings, kafka_env, export):
    ensure_topics(kafka_settings, catalogue=(topic_spec(TOPIC),))
    _, _, keys = export
    return {**kafka_env, "WIJKHUB_HUB_PUBLIC_KEY": str(keys / "hub.pub")}


def _command(out: Path, entry: dict) -> list[str]:
    cmd = [sys.executable, "-m", "schemas.cli", "connector", "run", "corporation"]
    cmd += ["--input", str(out / entry["file"]), "--mapping", str(out / entry["mapping"])]
    return [*cmd, "--rejects", str(out / f"{entry['file']}.rejects")]


def _in_namespace(script: list[str], env: dict[str, str], logs: Path) -> list[tuple[int, str, str]]:
    """Run shell steps in a private mount namespace; each step's (exit, stdout, stderr)."""
    logs.mkdir()
    body = "\n".join(
        f"( {step} ) >{logs}/{n}.out 2>{logs}/{n}.err; echo $? >{logs}/{n}.code"
        for n, step in enumerate(script)
    )
    subprocess.run(
        ["unshare", "-m", "--propagation", "private", "bash", "-c", body],
        env=env, timeout=300, check=True,
    )  # fmt: skip
    return [
        (
            int((logs / f"{n}.code").read_text()),
            (logs / f"{n}.out").read_text(),
            (logs / f"{n}.err").read_text(),
        )
        for n in range(len(script))
    ]


def _ids(settings) -> Counter:
    return Counter(dict(r.headers)["ce_id"] for r in consume(settings, TOPIC))


def _limited(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def _without_dac_override() -> None:
    """As root, drop the capabilities that ignore file modes, so chmod 0500 holds."""
    if os.geteuid() != 0:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2
    for cap in (cap_dac_override, cap_dac_read_search):
        if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.parametrize("variant", VARIANTS)
def test_full_disk_fails_cleanly_and_the_rerun_publishes_nothing_twice(
    export, env, kafka_settings, tmp_path, variant
):
    out, truth, _ = export
    entry = entry_for(truth, "corporatie_huurachterstand", "2026-01")
    valid = len(entry["valid"])
    state = tmp_path / "state"
    env = {**env, "WIJKHUB_STATE_DIR": str(state)}
    run = shlex.join(_command(out, entry))
    if variant == "tmpfs":
        state.mkdir()
        steps = _in_namespace(
            [
                f"mount -t tmpfs -o size=64k,mode=0700 tmpfs {state}",
                run,  # the disk fills up at the commit
                f"cat {state}/{STATE_FILE}; echo; ls -a {state}",
                f"mount -o remount,size=8m {state}",  # space freed
                run,
            ],
            env,
            tmp_path / "steps",
        )
        assert [code for code, _, _ in steps[:1] + steps[2:4]] == [0, 0, 0], steps
        full, inside, (again_code, again_out, again_err) = steps[1], steps[2][1], steps[4]
        assert "No space left on device" in full[2]
        in_flight = json.loads(inside.splitlines()[0])["in_flight"]
        assert ".tmp" not in inside  # no temporary file left behind
    else:  # a file size limit: short writes, then EFBIG, from the kernel
        first = subprocess.run(
            _command(out, entry), env=env, capture_output=True, text=True, timeout=120,
            check=False, preexec_fn=_limited(4096),
        )  # fmt: skip
        full = (first.returncode, first.stdout, first.stderr)
        assert "File too large" in full[2]
        in_flight = json.loads((state / STATE_FILE).read_text())["in_flight"]
        assert not [p for p in state.iterdir() if ".tmp" in p.name]
        again = subprocess.run(
            _command(out, entry), env=env, capture_output=True, text=True, timeout=120,
            check=False,
        )  # fmt: skip
        again_code, again_out, again_err = again.returncode, again.stdout, again.stderr

    assert full[0] == 1, full
    assert "Traceback" not in full[2]
    assert "published" not in full[1]  # nothing reported as published
    assert "not checkpointed" in full[2]
    assert "run the same export again" in full[2]
    assert in_flight is not None  # the previous state, whole: the in-flight record
    assert len(_ids(kafka_settings)) == valid  # every event was delivered once

    assert again_code == 3, again_err
    assert f"published 0, already published {valid}" in again_out
    ids = _ids(kafka_settings)
    assert len(ids) == valid
    assert max(ids.values()) == 1


@pytest.mark.parametrize("variant", VARIANTS)
def test_read_only_state_dir_fails_at_once_and_publishes_nothing(
    export, env, kafka_settings, tmp_path, variant
):
    out, truth, _ = export
    first, second = (
        entry_for(truth, "corporatie_huurachterstand", m) for m in ("2026-01", "2026-02")
    )
    state = tmp_path / "state"
    env = {**env, "WIJKHUB_STATE_DIR": str(state)}
    ran = subprocess.run(
        _command(out, first), env=env, capture_output=True, timeout=120, check=False
    )
    assert ran.returncode == 3
    before = len(consume(kafka_settings, TOPIC))
    kept = (state / STATE_FILE).read_bytes()
    if variant == "tmpfs":
        steps = _in_namespace(
            [f"mount --bind {state} {state}", f"mount -o remount,bind,ro {state}",
             shlex.join(_command(out, second))],
            env,
            tmp_path / "steps",
        )  # fmt: skip
        code, stdout, stderr = steps[2]
    else:
        state.chmod(0o500)
        try:
            done = subprocess.run(
                _command(out, second), env=env, capture_output=True, text=True, timeout=120,
                check=False, preexec_fn=_without_dac_override,
            )  # fmt: skip
        finally:
            state.chmod(0o700)
        code, stdout, stderr = done.returncode, done.stdout, done.stderr
    assert code == 1, stderr
    assert "Traceback" not in stderr
    assert "cannot use the state directory" in stderr or "cannot write" in stderr, stderr
    assert "published" not in stdout
    assert len(consume(kafka_settings, TOPIC)) == before  # nothing published
    assert (state / STATE_FILE).read_bytes() == kept

    done = subprocess.run(_command(out, second), env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 3, done.stderr
    ids = _ids(kafka_settings)
    assert max(ids.values()) == 1
