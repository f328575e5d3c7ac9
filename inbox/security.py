"""Sessions, CSRF tokens and login throttling for the inbox.

The session cookie (Starlette's ``SessionMiddleware``: signed, ``HttpOnly``,
``SameSite=Strict``) carries only a random session id and the CSRF token. The server keeps
which coordinator a session id belongs to, so logging out really ends the session and a
coordinator removed from the configuration loses access at once.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable, MutableMapping
from typing import Any

from inbox.coordinators import Coordinator, CoordinatorRegistry

__all__ = ["CSRF_FIELD", "LoginThrottle", "SessionRegistry", "csrf_token", "csrf_valid"]

CSRF_FIELD = "csrf_token"
_CSRF_KEY = "csrf"
_SID_KEY = "sid"

Session = MutableMapping[str, Any]


def csrf_token(session: Session) -> str:
    """The session's CSRF token, made on first use (also before login)."""
    token = session.get(_CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[_CSRF_KEY] = token
    return token


def csrf_valid(session: Session, submitted: str | None) -> bool:
    """Whether a submitted form token matches the session's, in constant time."""
    expected = session.get(_CSRF_KEY)
    if not isinstance(expected, str) or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())


class SessionRegistry:
    """Which coordinator each live session belongs to, with an absolute lifetime."""

    def __init__(
        self,
        registry: CoordinatorRegistry,
        *,
        lifetime_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._lifetime = lifetime_s
        self._clock = clock
        self._live: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def login(self, session: Session, coordinator: Coordinator) -> None:
        """Start a fresh session (new id and CSRF token) for ``coordinator``."""
        self.logout(session)
        session.clear()
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._live[sid] = (coordinator.id, self._clock() + self._lifetime)
        session[_SID_KEY] = sid
        csrf_token(session)

    def logout(self, session: Session) -> None:
        """End the session on the server and forget it in the cookie."""
        sid = session.pop(_SID_KEY, None)
        if isinstance(sid, str):
            with self._lock:
                self._live.pop(sid, None)

    def current(self, session: Session) -> Coordinator | None:
        """The logged-in coordinator, or ``None`` (no, unknown or expired session)."""
        sid = session.get(_SID_KEY)
        if not isinstance(sid, str):
            return None
        with self._lock:
            found = self._live.get(sid)
            if found is None:
                return None
            coordinator_id, expires = found
            if self._clock() >= expires:
                del self._live[sid]
                return None
        return self._registry.get(coordinator_id)


class LoginThrottle:
    """Refuses logins for an account after ``limit`` failures within ``window_s`` seconds."""

    def __init__(
        self,
        *,
        limit: int = 5,
        window_s: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window = window_s
        self._clock = clock
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, account: str) -> list[float]:
        cutoff = self._clock() - self._window
        recent = [t for t in self._failures.get(account, []) if t > cutoff]
        self._failures[account] = recent
        return recent

    def blocked(self, account: str) -> bool:
        """Whether the account has too many recent failures."""
        with self._lock:
            return len(self._recent(account)) >= self._limit

    def failed(self, account: str) -> None:
        """Count a failed attempt."""
        with self._lock:
            self._recent(account).append(self._clock())

    def succeeded(self, account: str) -> None:
        """Forget the failures of an account that logged in."""
        with self._lock:
            self._failures.pop(account, None)
