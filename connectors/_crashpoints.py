"""Crash points for the exactly-once tests.

``WIJKHUB_CRASH_AT=<point>[:<n>]`` makes the connector SIGKILL itself the ``n``-th time (default
the first) it passes ``<point>``, so a test can kill it exactly inside a window that matters:

``in-flight``  the in-flight record is on disk, nothing sent yet;
``queued``     a message was handed to the producer (it may or may not be on the broker);
``confirmed``  a batch was confirmed by the broker, more are to come;
``delivered``  every message is confirmed, the checkpoint is not yet written.

Unset (always, outside tests) it costs one comparison per call.
"""

from __future__ import annotations

import os
import signal

__all__ = ["crash_point"]

_SPEC = os.environ.get("WIJKHUB_CRASH_AT", "")
_POINT, _, _NTH = _SPEC.partition(":")
_counts: dict[str, int] = {}


def crash_point(name: str) -> None:
    """SIGKILL this process if ``WIJKHUB_CRASH_AT`` names this point and pass."""
    if name != _POINT:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] == int(_NTH or 1):
        os.kill(os.getpid(), signal.SIGKILL)
