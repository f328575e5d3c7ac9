"""Login throttling: exponential back-off per client address, per account at an address and per
account, reserved *before* the password is checked.

The policy (docs/inbox.md, "Login throttling"):

- An attempt that is let through is charged at once, as if it failed, to three keys: the
  client address, the account at that address, and the account. So forty attempts sent at
  the same moment meet the limit as forty sequential ones would: only the free allowance is
  checked.
- A key allows ``free`` charged attempts; after that the next one is allowed only
  ``base * 2 ** (charged - free)`` seconds after the last charge, at most ``cap``.
- A refused attempt (429) is not charged: hammering does not lengthen the wait.
- The account key is charged only while the address is within its free allowance for that
  account, so one address can never hold back an account for everyone else: only failures
  from several addresses (a distributed attack) make the whole account wait, and then for the
  back-off only.
- A success clears the account and the account-at-address keys and takes back the address's
  charge (other failures from that address stay).
- A key is forgotten ``forget_s`` after its last charge; at most ``max_keys`` keys are kept
  (the least recently charged go first).
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Attempt", "Backoff", "LoginThrottle", "Refused", "ThrottlePolicy", "address_key"]


@dataclass(frozen=True, slots=True)
class Backoff:
    """``free`` attempts, then waits doubling from ``base_s`` up to ``cap_s`` seconds."""

    free: int
    base_s: float = 1.0
    cap_s: float = 900.0

    def delay(self, charged: int) -> float:
        """How long after the last charge the next attempt must wait."""
        if charged < self.free:
            return 0.0
        return min(self.cap_s, self.base_s * 2.0 ** min(charged - self.free, 40))


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """The three back-offs, how long failures are remembered, and how many keys at most."""

    address: Backoff = field(default_factory=lambda: Backoff(free=10))
    account_at_address: Backoff = field(default_factory=lambda: Backoff(free=5))
    account: Backoff = field(default_factory=lambda: Backoff(free=20))
    forget_s: float = 3600.0
    max_keys: int = 100_000

    def __post_init__(self) -> None:
        caps = (self.address.cap_s, self.account_at_address.cap_s, self.account.cap_s)
        if self.forget_s < max(caps):
            raise ValueError("forget_s must be at least the longest back-off cap")


@dataclass(frozen=True, slots=True)
class Attempt:
    """A reserved login attempt; settle it with :meth:`LoginThrottle.succeeded` or
    :meth:`LoginThrottle.cancel` (a failure needs nothing more: it was charged already)."""

    account: str
    address: str
    charged_account: bool


@dataclass(frozen=True, slots=True)
class Refused:
    """Too many recent failures: try again after ``retry_after_s`` seconds (whole, >= 1)."""

    retry_after_s: int


@dataclass(slots=True)
class _Charges:
    charged: int = 0
    last: float = 0.0


_Key = tuple[str, ...]


def address_key(host: str | None) -> str:
    """The throttling key of a client address: IPv4 as is, IPv6 by its /64 network.

    One IPv6 host usually holds a whole /64, so counting single IPv6 addresses would let
    one client spray from millions of them.
    """
    if not host:
        return "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class LoginThrottle:
    """Thread-safe, in-memory; see the module docstring for the policy."""

    def __init__(
        self,
        policy: ThrottlePolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy or ThrottlePolicy()
        self._clock = clock
        self._keys: OrderedDict[_Key, _Charges] = OrderedDict()
        self._lock = threading.Lock()

    def _keyed(self, account: str, address: str) -> list[tuple[_Key, Backoff]]:
        p = self.policy
        return [
            (("address", address), p.address),
            (("account@address", account, address), p.account_at_address),
            (("account", account), p.account),
        ]

    def admit(self, account: str, address: str) -> Attempt | Refused:
        """Reserve an attempt for ``account`` from ``address`` (see :func:`address_key`), or
        refuse it with the time to wait."""
        account = account[:128]
        with self._lock:
            now = self._clock()
            self._forget(now)
            keyed = self._keyed(account, address)
            wait = 0.0
            for key, backoff in keyed:
                charges = self._keys.get(key)
                if charges is not None:
                    wait = max(wait, charges.last + backoff.delay(charges.charged) - now)
            if wait > 0:
                return Refused(max(1, math.ceil(wait)))
            pair = self._keys.get(keyed[1][0])
            charge_account = (pair.charged if pair else 0) < self.policy.account_at_address.free
            for key, _ in keyed if charge_account else keyed[:2]:
                self._charge(key, now)
            while len(self._keys) > self.policy.max_keys:
                self._keys.popitem(last=False)
            return Attempt(account, address, charge_account)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: clear the account's failures, take back the address's
        charge."""
        keyed = self._keyed(attempt.account, attempt.address)
        with self._lock:
            self._refund(keyed[0][0])
            self._keys.pop(keyed[1][0], None)
            self._keys.pop(keyed[2][0], None)

    def cancel(self, attempt: Attempt) -> None:
        """The password was never checked (the server was busy): take back every charge."""
        keyed = self._keyed(attempt.account, attempt.address)
        with self._lock:
            for key, _ in keyed if attempt.charged_account else keyed[:2]:
                self._refund(key)

    def _charge(self, key: _Key, now: float) -> None:
        charges = self._keys.setdefault(key, _Charges())
        charges.charged += 1
        charges.last = now
        self._keys.move_to_end(key)

    def _refund(self, key: _Key) -> None:
        charges = self._keys.get(key)
        if charges is not None:
            charges.charged -= 1
            if charges.charged <= 0:
                del self._keys[key]

    def _forget(self, now: float) -> None:
        cutoff = now - self.policy.forget_s
        while self._keys:
            key, charges = next(iter(self._keys.items()))
            if charges.last > cutoff:
                break
            del self._keys[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)
