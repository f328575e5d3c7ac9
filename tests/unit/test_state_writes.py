"""State writes at the OS boundary: a short write, a full file system, a read-only directory.

Each case runs in a child process with a real kernel limit — ``RLIMIT_FSIZE`` (the kernel
writes up to the limit and returns a short count, the next write fails with EFBIG) or a
directory mode of 0500 (as root, with the capability that ignores modes dropped) — so the
code under test meets the failures the kernel really produces, not a stand-in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

SAVE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from connectors.errors import StateError
    from connectors.state import RowState, State, StateStore

    store = StateStore(Path(sys.argv[1]), "corporatie-x", "RentArrearsSignal")
    rows = {f"k{n}": RowState("d" * 32, "s" * 108, {"band": "two_months"}, "2026-01-01")
            for n in range(int(sys.argv[2]))}
    try:
        with store.lock():
            store.commit(State(generation=2, as_of="2026-02-01", rows=rows), advice="Do X.")
    except StateError as exc:
        print(json.dumps({"error": str(exc)}))
    else:
        print(json.dumps({"error": None}))
    """
)


def _run(directory: Path, rows: int, *, limit: int | None = None, read_only: bool = False):
    def limits() -> None:
        import resource

        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        if read_only and os.geteuid() == 0:  # root ignores file modes unless it drops this
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
                assert libc.prctl(24, cap, 0, 0, 0) == 0  # PR_CAPBSET_DROP

    done = subprocess.run(
        [sys.executable, "-c", SAVE, str(directory), str(rows)],
        capture_output=True, text=True, timeout=60, check=False, preexec_fn=limits,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)["error"]


def test_a_short_write_fails_loudly_and_leaves_the_previous_state(tmp_path):
    assert _run(tmp_path, 1) is None  # a small state fits
    before = (tmp_path / "corporatie-x.RentArrearsSignal.state.json").read_bytes()
    error = _run(tmp_path, 2000, limit=64 * 1024)  # ~380 KB does not
    assert error is not None
    assert "cannot write the connector state (File too large)" in error
    assert error.endswith("the previous state is unchanged. Do X.")
    assert (tmp_path / "corporatie-x.RentArrearsSignal.state.json").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]  # no half file left


def test_a_read_only_state_dir_is_a_clean_error(tmp_path):
    tmp_path.chmod(0o500)
    try:
        error = _run(tmp_path, 1, read_only=True)
    finally:
        tmp_path.chmod(0o700)
    assert error is not None
    assert error.startswith(f"{tmp_path}: cannot use the state directory (Permission denied)")
    assert "WIJKHUB_STATE_DIR must be a directory this user can write" in error
