"""A small client for the inbox's JSON API, used by ``wijkhub proposals``."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any
from uuid import UUID

from inbox.errors import InboxError

__all__ = ["InboxClient"]

_HINTS = {
    401: "wrong coordinator id or password (WIJKHUB_INBOX_USER / WIJKHUB_INBOX_PASSWORD)",
    404: "no such proposal in your buurten",
    409: "the proposal was already decided otherwise, or retracted",
    422: "the request was not valid: a closed decision needs --outcome, and only it",
    429: "too many failed logins for this account or from this address; wait and try again",
    503: "the inbox could not record it (Kafka unavailable); nothing changed, try again",
}


class InboxClient:
    """Calls ``/api/v1`` with HTTP Basic credentials."""

    def __init__(self, base_url: str, account: str, password: str, *, timeout: float = 30) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InboxError(f"inbox URL {base_url!r} must start with http:// or https://")
        self._base = base_url.rstrip("/")
        token = base64.b64encode(f"{account}:{password}".encode()).decode("ascii")
        self._auth = f"Basic {token}"
        self._timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self._base + path, data=data, method=method
        )
        request.add_header("Authorization", self._auth)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            hint = _HINTS.get(exc.code, "unexpected answer")
            retry_after = exc.headers.get("Retry-After") if exc.headers else None
            if retry_after and retry_after.isdigit():
                hint += f" (retry after {retry_after} s)"
            raise InboxError(f"inbox answered {exc.code} for {method} {path}: {hint}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise InboxError(
                f"cannot reach the inbox at {self._base} ({exc}); is `wijkhub inbox serve` "
                "running, and is WIJKHUB_INBOX_URL right?"
            ) from None

    def list(self) -> list[dict[str, Any]]:
        """Open proposals in your buurten."""
        result: list[dict[str, Any]] = self._call("GET", "/api/v1/proposals")
        return result

    def show(self, proposal_id: UUID) -> dict[str, Any]:
        """One proposal (the view is audited)."""
        result: dict[str, Any] = self._call("GET", f"/api/v1/proposals/{proposal_id}")
        return result

    def decide(self, proposal_id: UUID, decision: str, outcome: str | None) -> dict[str, Any]:
        """Record a decision; repeating the same one is harmless."""
        body = {"decision": decision, "outcome": outcome}
        result: dict[str, Any] = self._call(
            "POST", f"/api/v1/proposals/{proposal_id}/decision", body
        )
        return result
