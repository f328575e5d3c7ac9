"""Login throttling (inbox.throttle) and the password checks around it (inbox.security.LoginGuard):
reserved before the check, per address, per account at an address and per account, with a
back-off that an attacker cannot stretch into a lock-out of the real user."""

from __future__ import annotations

import asyncio
import threading

import pytest

from inbox.coordinators import load_coordinators
from inbox.security import LoginBusyError, LoginGuard, LoginThrottledError
from inbox.throttle import (
    Attempt,
    Backoff,
    LoginThrottle,
    Refused,
    ThrottlePolicy,
    address_key,
)
from tests.support.inbox import coordinator_toml

ATTACKER = "203.0.113.7"
USER = "198.51.100.20"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def throttle(clock):
    return LoginThrottle(clock=clock)


def outcomes(results):
    admitted = [r for r in results if isinstance(r, Attempt)]
    refused = [r for r in results if isinstance(r, Refused)]
    return admitted, refused


def test_forty_attempts_at_once_get_only_the_allowance(throttle):
    barrier = threading.Barrier(40)
    results: list[Attempt | Refused] = []
    lock = threading.Lock()

    def attempt():
        barrier.wait()
        verdict = throttle.admit("coord-noord", ATTACKER)
        with lock:
            results.append(verdict)

    threads = [threading.Thread(target=attempt) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    admitted, refused = outcomes(results)
    assert len(admitted) == 5  # the account-at-address allowance
    assert len(refused) == 35
    assert {r.retry_after_s for r in refused} == {1}


def test_backoff_doubles_and_refusals_do_not_stretch_it(throttle, clock):
    for _ in range(5):
        assert isinstance(throttle.admit("c", ATTACKER), Attempt)
    waits = []
    for _ in range(6):
        verdict = throttle.admit("c", ATTACKER)
        assert isinstance(verdict, Refused)
        waits.append(verdict.retry_after_s)
        for _ in range(50):  # hammering while refused changes nothing
            assert throttle.admit("c", ATTACKER) == verdict
        clock.now += verdict.retry_after_s
        assert isinstance(throttle.admit("c", ATTACKER), Attempt)
    assert waits == [1, 2, 4, 8, 16, 32]


def test_backoff_is_capped():
    backoff = Backoff(free=5, base_s=1, cap_s=900)
    assert [backoff.delay(n) for n in (0, 4, 5, 6, 14, 15, 1000)] == [0, 0, 1, 2, 512, 900, 900]


def test_one_address_never_locks_the_account_for_another(throttle, clock):
    # a persistent attacker at one address, for hours, trying again the moment it may
    guesses = 0
    while clock.now < 1000 + 3 * 3600:
        verdict = throttle.admit("coord-noord", ATTACKER)
        if isinstance(verdict, Refused):
            clock.now += verdict.retry_after_s
        else:
            guesses += 1
            user = throttle.admit("coord-noord", USER)
            assert isinstance(user, Attempt)  # the real user elsewhere is never held back
            throttle.succeeded(user)
    assert guesses < 30  # 5 free, 10 doubling waits (~17 min), then one per 15 minutes
    while isinstance(verdict := throttle.admit("coord-noord", ATTACKER), Refused):
        clock.now += verdict.retry_after_s
    assert throttle.admit("coord-noord", ATTACKER) == Refused(900)


def test_same_address_user_gets_in_after_the_backoff(throttle, clock):
    for _ in range(40):
        throttle.admit("coord-noord", ATTACKER)
    refused = throttle.admit("coord-noord", ATTACKER)
    assert isinstance(refused, Refused)
    clock.now += refused.retry_after_s
    attempt = throttle.admit("coord-noord", ATTACKER)
    assert isinstance(attempt, Attempt)
    throttle.succeeded(attempt)
    assert isinstance(throttle.admit("coord-noord", ATTACKER), Attempt)  # cleared


def test_spraying_account_names_meets_the_address_limit(throttle, clock):
    results = [throttle.admit(f"coord-{n}", ATTACKER) for n in range(60)]
    admitted, refused = outcomes(results)
    assert (len(admitted), len(refused)) == (10, 50)
    clock.now += 1
    assert isinstance(throttle.admit("coord-61", ATTACKER), Attempt)
    assert isinstance(throttle.admit("coord-62", ATTACKER), Refused)  # now 2 s
    assert isinstance(throttle.admit("coord-0", USER), Attempt)  # other clients unaffected


def test_a_distributed_attack_makes_the_account_wait_the_backoff_only(throttle, clock):
    for n in range(4):  # four addresses, each within its own allowance: 20 failures
        for _ in range(5):
            assert isinstance(throttle.admit("coord-noord", f"192.0.2.{n}"), Attempt)
    refused = throttle.admit("coord-noord", USER)
    assert refused == Refused(1)
    assert isinstance(throttle.admit("coord-zuid", USER), Attempt)  # other accounts fine
    clock.now += 1
    assert isinstance(throttle.admit("coord-noord", USER), Attempt)


def test_a_success_keeps_the_addresses_other_failures(throttle):
    for n in range(9):
        throttle.admit(f"sprayed-{n}", ATTACKER)
    own = throttle.admit("attacker-own-account", ATTACKER)
    assert isinstance(own, Attempt)
    throttle.succeeded(own)  # logging in to an account of one's own does not wipe the count
    assert isinstance(throttle.admit("sprayed-10", ATTACKER), Attempt)
    assert isinstance(throttle.admit("sprayed-11", ATTACKER), Refused)


def test_cancel_takes_back_every_charge(throttle):
    for _ in range(4):
        throttle.admit("c", ATTACKER)
    attempt = throttle.admit("c", ATTACKER)
    assert isinstance(attempt, Attempt)
    throttle.cancel(attempt)
    assert isinstance(throttle.admit("c", ATTACKER), Attempt)  # the fifth again
    assert isinstance(throttle.admit("c", ATTACKER), Refused)


def test_failures_are_forgotten_and_keys_bounded(clock):
    policy = ThrottlePolicy(forget_s=3600, max_keys=50)
    throttle = LoginThrottle(policy, clock=clock)
    for n in range(100):
        throttle.admit("c", f"192.0.2.{n}")
    assert len(throttle) <= 50
    clock.now += 3601
    throttle.admit("other", USER)
    assert len(throttle) == 3  # only the new attempt's keys are left


def test_policy_must_remember_failures_as_long_as_it_makes_wait():
    with pytest.raises(ValueError, match="forget_s"):
        ThrottlePolicy(forget_s=60)


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("testclient", "testclient"),
        (None, "unknown"),
    ],
)
def test_address_key_groups_an_ipv6_host(host, key):
    assert address_key(host) == key


# --- LoginGuard: the same policy with real scrypt checks off the event loop -------------------

PASSWORD = "wachtwoord-noord-1"


@pytest.fixture
def coordinators(tmp_path):
    path = tmp_path / "coordinators.toml"
    path.write_text(coordinator_toml({"coord-noord": (PASSWORD, ["BU03630001"])}))
    return load_coordinators(path)


async def _many(guard, attempts):
    async def one(password, address):
        try:
            return await guard.authenticate("coord-noord", password, address)
        except (LoginThrottledError, LoginBusyError) as exc:
            return exc

    return await asyncio.gather(*(one(p, a) for p, a in attempts))


def test_guard_checks_only_the_allowance_then_lets_the_user_in(coordinators, clock):
    guard = LoginGuard(coordinators, LoginThrottle(clock=clock), clock=clock)
    # the right password at position 31, as in the issue: refused like the rest
    attempts = [("wrong", ATTACKER)] * 30 + [(PASSWORD, ATTACKER)] + [("wrong", ATTACKER)] * 9
    results = asyncio.run(_many(guard, attempts))
    throttled = [r for r in results if isinstance(r, LoginThrottledError)]
    checked = [r for r in results if not isinstance(r, Exception)]
    assert (len(checked), len(throttled)) == (5, 35)
    assert checked == [None] * 5
    assert results[30] in throttled
    assert all(r.retry_after_s == 1 for r in throttled)
    # the real user from elsewhere at once, and from the attacker's address after the back-off
    assert asyncio.run(guard.authenticate("coord-noord", PASSWORD, USER)).id == "coord-noord"
    clock.now += 1
    found = asyncio.run(guard.authenticate("coord-noord", PASSWORD, ATTACKER))
    assert found is not None
    guard.close()


def test_guard_refuses_when_too_many_checks_wait_and_counts_nothing(tmp_path, clock):
    path = tmp_path / "slow.toml"  # the default scrypt cost: checks outlast the start of all
    path.write_text(coordinator_toml({"coord-noord": (PASSWORD, [])}, log2_n=15))
    coordinators = load_coordinators(path)
    throttle = LoginThrottle(clock=clock)
    guard = LoginGuard(coordinators, throttle, checks_at_once=1, max_waiting=2, clock=clock)
    addresses = [f"192.0.2.{n}" for n in range(8)]
    results = asyncio.run(_many(guard, [("wrong", a) for a in addresses]))
    busy = [r for r in results if isinstance(r, LoginBusyError)]
    assert len(busy) == 5  # one checking, two waiting, the rest refused
    assert all(r.retry_after_s == 1 for r in busy)
    assert len(throttle) == 3 * 3 - 2  # three attempts charged (account key shared)
    guard.close()


def test_guard_remembers_a_right_password_not_a_wrong_one(tmp_path, clock):
    path = tmp_path / "slow.toml"
    accounts = {"coord-noord": (PASSWORD, []), "coord-zuid": ("wachtwoord-zuid-12", [])}
    path.write_text(coordinator_toml(accounts, log2_n=15))
    guard = LoginGuard(
        load_coordinators(path), LoginThrottle(clock=clock), checks_at_once=1, max_waiting=0,
        remember_s=60, clock=clock,
    )  # fmt: skip
    assert asyncio.run(guard.authenticate("coord-noord", PASSWORD, USER)) is not None

    async def while_the_pool_is_busy(password):
        async def noord():
            await asyncio.sleep(0.01)  # after zuid's check has taken the only thread
            try:
                return await guard.authenticate("coord-noord", password, USER)
            except LoginBusyError as exc:
                return exc

        zuid = guard.authenticate("coord-zuid", "wrong", ATTACKER)
        return (await asyncio.gather(zuid, noord()))[1]

    # remembered: no scrypt needed, so it gets in while the only password thread is busy
    assert asyncio.run(while_the_pool_is_busy(PASSWORD)).id == "coord-noord"
    # a wrong password is not remembered: it needs the pool, which is full
    assert isinstance(asyncio.run(while_the_pool_is_busy("wrong")), LoginBusyError)
    clock.now += 61  # and the right one is forgotten after remember_s
    assert isinstance(asyncio.run(while_the_pool_is_busy(PASSWORD)), LoginBusyError)
    guard.close()


def test_a_remembered_password_is_throttled_like_any_guess(coordinators, clock):
    guard = LoginGuard(coordinators, LoginThrottle(clock=clock), clock=clock)
    assert asyncio.run(guard.authenticate("coord-noord", PASSWORD, USER)) is not None
    for _ in range(5):
        assert asyncio.run(guard.authenticate("coord-noord", "guess", ATTACKER)) is None
    with pytest.raises(LoginThrottledError):  # no free guessing against the remembered one
        asyncio.run(guard.authenticate("coord-noord", PASSWORD, ATTACKER))
    guard.close()
