"""Sessions, CSRF tokens and password checks for the inbox.

The session cookie (Starlette's ``SessionMiddleware``: signed, ``HttpOnly``,
``SameSite=Strict``) carries only a random session id and the CSRF token. The server keeps
which coordinator a session id belongs to, so logging out really ends the session and a
coordinator removed from the configuration loses access at once.

:class:`LoginGuard` checks passwords for the login page and the API: throttled
(:mod:`inbox.throttle`) before the check, and the check itself (scrypt, ~32 MiB and tens of
milliseconds each) runs on a small pool of its own, so that password guessing can neither
occupy the server's request threads nor its memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from inbox.coordinators import Coordinator, CoordinatorRegistry
from inbox.errors import InboxError
from inbox.throttle import Attempt, LoginThrottle, Refused

__all__ = [
    "CSRF_FIELD",
    "LoginBusyError",
    "LoginGuard",
    "LoginThrottledError",
    "SessionRegistry",
    "csrf_token",
    "csrf_valid",
]

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


class LoginThrottledError(InboxError):
    """Too many failed logins for this account or from this address (429)."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class LoginBusyError(InboxError):
    """Too many password checks waiting already (503); nothing was checked or counted."""

    retry_after_s = 1


class LoginGuard:
    """Checks a coordinator's id and password: throttled, off the request threads, bounded.

    - :class:`~inbox.throttle.LoginThrottle` reserves the attempt first (or refuses it with
      :class:`LoginThrottledError`);
    - at most ``checks_at_once`` scrypt checks run at a time, on threads of their own; when
      ``max_waiting`` more are queued, a new attempt is refused (:class:`LoginBusyError`)
      without being counted;
    - a password that was right is remembered for ``remember_s`` seconds as an HMAC under a
      key that lives only in this process, so the API (HTTP Basic on every request) does not
      pay scrypt per call; a wrong password is never remembered, and a remembered one is
      throttled like any other attempt (no free guessing against it).
    """

    def __init__(
        self,
        coordinators: CoordinatorRegistry,
        throttle: LoginThrottle | None = None,
        *,
        checks_at_once: int = 2,
        max_waiting: int = 32,
        remember_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.coordinators = coordinators
        self.throttle = throttle if throttle is not None else LoginThrottle()
        self._pool = ThreadPoolExecutor(checks_at_once, thread_name_prefix="inbox-password")
        self._capacity = checks_at_once + max_waiting
        self._pending = 0
        self._remember_s = remember_s
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._remembered: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()

    def _digest(self, account: str, password: str) -> bytes:
        message = (
            account.encode("utf-8", "surrogatepass")
            + b"\0"
            + password.encode("utf-8", "surrogatepass")
        )
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def _recall(self, account: str, password: str) -> Coordinator | None:
        with self._lock:
            found = self._remembered.get(account)
        if found is None or found[1] <= self._clock():
            return None
        if not hmac.compare_digest(found[0], self._digest(account, password)):
            return None
        return self.coordinators.get(account)

    def _check(self, attempt: Attempt, account: str, password: str) -> Coordinator | None:
        """On a password thread: the scrypt check, and settling the reserved attempt."""
        try:
            found = self.coordinators.authenticate(account, password)
        except BaseException:
            self.throttle.cancel(attempt)
            raise
        finally:
            with self._lock:
                self._pending -= 1
        if found is not None:
            self.throttle.succeeded(attempt)
            digest = self._digest(account, password)
            with self._lock:
                self._remembered[account] = (digest, self._clock() + self._remember_s)
        return found

    async def authenticate(self, account: str, password: str, address: str) -> Coordinator | None:
        """The coordinator whose id and password these are, or ``None`` (counted as a failure).

        ``address`` is the client's throttling key (:func:`inbox.throttle.address_key`).
        Raises :class:`LoginThrottledError` or :class:`LoginBusyError` before any check.
        """
        verdict = self.throttle.admit(account, address)
        if isinstance(verdict, Refused):
            raise LoginThrottledError(verdict.retry_after_s)
        remembered = self._recall(account, password)  # throttled too: no free guessing
        if remembered is not None:
            self.throttle.succeeded(verdict)
            return remembered
        with self._lock:
            busy = self._pending >= self._capacity
            if not busy:
                self._pending += 1
        if busy:
            self.throttle.cancel(verdict)
            raise LoginBusyError("too many logins are being checked; try again in a second")
        loop = asyncio.get_running_loop()
        try:
            check = loop.run_in_executor(self._pool, self._check, verdict, account, password)
        except RuntimeError:  # the pool was shut down: the server is stopping
            with self._lock:
                self._pending -= 1
            self.throttle.cancel(verdict)
            raise LoginBusyError("the inbox is stopping") from None
        return await check

    def close(self) -> None:
        """Stop the password threads (checks under way finish first)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
