"""Where a sink delivers: a JSON Lines file, or an HTTP webhook with retries and backoff.

A target knows what it already delivered (by :func:`dedupe_key`), so replays and restarts
deliver each proposal once. The runner commits Kafka offsets only after delivery succeeded.
"""

from __future__ import annotations

import json
import os
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from inbox.errors import InboxError
from inbox.sink.cloudevents import dedupe_key

__all__ = ["JsonlTarget", "SinkError", "SinkTarget", "WebhookTarget"]


class SinkError(InboxError):
    """A delivery failed for good; offsets were not committed, so a restart tries again."""


class SinkTarget(Protocol):
    """A place to deliver events to."""

    def delivered(self, key: str) -> bool:
        """Whether the event with this dedupe key was delivered before."""

    def deliver(self, event: dict[str, Any]) -> None:
        """Deliver one event durably, or raise :class:`SinkError`."""


def _read_keys(path: Path, key_of: Callable[[str], str]) -> set[str]:
    if not path.exists():
        return set()
    keys = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            keys.add(key_of(line))
    return keys


class JsonlTarget:
    """Appends one CloudEvents JSON object per line; the file itself is the dedupe state."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._seen = _read_keys(path, lambda line: dedupe_key(json.loads(line)))

    def delivered(self, key: str) -> bool:
        """Whether the file already holds this event."""
        return key in self._seen

    def deliver(self, event: dict[str, Any]) -> None:
        """Append and fsync, so a committed offset never outruns the file."""
        line = json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n"
        with self.path.open("a", encoding="utf-8") as out:
            out.write(line)
            out.flush()
            os.fsync(out.fileno())
        self._seen.add(dedupe_key(event))


class WebhookTarget:
    """POSTs ``application/cloudevents+json``; retries 408, 429, 5xx and network errors.

    Backoff doubles from ``backoff_s`` up to 60 s, with jitter. Delivered keys go to
    ``state`` (one per line) so a restart does not send them again; the receiver can dedupe
    on the CloudEvents ``id`` + ``type`` too.
    """

    def __init__(
        self,
        url: str,
        *,
        state: Path,
        max_attempts: int = 8,
        backoff_s: float = 0.5,
        timeout_s: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise SinkError(f"webhook URL {url!r} must start with http:// or https://")
        self.url = url
        self.state = state
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self._sleep = sleep
        self.attempts = 0
        state.parent.mkdir(parents=True, exist_ok=True)
        self._seen = _read_keys(state, str.strip)

    def delivered(self, key: str) -> bool:
        """Whether this event was acknowledged before (per the state file)."""
        return key in self._seen

    def _post(self, body: bytes) -> int:
        request = urllib.request.Request(self.url, data=body, method="POST")  # noqa: S310
        request.add_header("Content-Type", "application/cloudevents+json; charset=utf-8")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            return 0

    def deliver(self, event: dict[str, Any]) -> None:
        """POST until a 2xx, a permanent 4xx, or ``max_attempts``."""
        body = json.dumps(event, ensure_ascii=False).encode("utf-8")
        status = 0
        for attempt in range(1, self.max_attempts + 1):
            self.attempts += 1
            status = self._post(body)
            if 200 <= status < 300:
                key = dedupe_key(event)
                with self.state.open("a", encoding="utf-8") as out:
                    out.write(key + "\n")
                    out.flush()
                    os.fsync(out.fileno())
                self._seen.add(key)
                return
            if status and status < 500 and status not in {408, 429}:
                raise SinkError(
                    f"webhook {self.url} refused event {event.get('id')} with {status}; fix the "
                    "receiver and restart the sink (nothing was committed)"
                )
            if attempt < self.max_attempts:
                delay = min(60.0, self.backoff_s * 2 ** (attempt - 1))
                self._sleep(delay * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not crypto
        reason = f"status {status}" if status else "no connection"
        raise SinkError(
            f"webhook {self.url}: event {event.get('id')} not delivered after "
            f"{self.max_attempts} attempts ({reason}); nothing was committed, restart to retry"
        )
