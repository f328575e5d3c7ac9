"""Password hashing, the coordinators file, sessions and CSRF tokens (login throttling is in
test_inbox_throttle.py)."""

from __future__ import annotations

import pytest

from inbox.coordinators import load_coordinators
from inbox.errors import InboxConfigError
from inbox.passwords import hash_password, verify_password
from inbox.security import SessionRegistry, csrf_token, csrf_valid

FAST = 10  # log2 n for quick tests; the default is 15


def test_hash_roundtrip_and_salt():
    first, second = hash_password("geheim", log2_n=FAST), hash_password("geheim", log2_n=FAST)
    assert first != second
    assert verify_password("geheim", first)
    assert not verify_password("Geheim", first)


@pytest.mark.parametrize(
    "stored", ["", "plain", "scrypt$10$8$1$bad$bad", "scrypt$40$8$1$AAAA$AAAA", "md5$1$2$3$4$5"]
)
def test_malformed_hashes_never_match(stored):
    assert not verify_password("x", stored)


def _write(tmp_path, text):
    path = tmp_path / "coordinators.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_and_authenticate(tmp_path):
    h = hash_password("pw-noord", log2_n=FAST)
    path = _write(
        tmp_path,
        f'[[coordinator]]\nid = "coord-noord"\nbuurten = ["BU03630001"]\npassword_hash = "{h}"\n',
    )
    registry = load_coordinators(path)
    found = registry.authenticate("coord-noord", "pw-noord")
    assert found is not None
    assert found.may_see("BU03630001")
    assert not found.may_see("BU03630002")
    assert not found.may_see(None)
    assert registry.authenticate("coord-noord", "wrong") is None
    assert registry.authenticate("nobody", "pw-noord") is None
    assert h not in repr(found)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no [[coordinator]]"),
        ("[[coordinator", "not valid TOML"),
        ('[[coordinator]]\nid = "a b"\npassword_hash = "x"\n', "coordinator #1: id"),
        ('[[coordinator]]\nid = "a"\nbuurten = ["0363"]\npassword_hash = "x"\n', "buurten"),
        ('[[coordinator]]\nid = "a"\npassword_hash = "x"\n' * 2, "duplicate ids"),
    ],
)
def test_bad_coordinator_files_say_what_is_wrong(tmp_path, text, message):
    with pytest.raises(InboxConfigError, match=message.replace("[", r"\[")):
        load_coordinators(_write(tmp_path, text))


def test_missing_file_names_the_variable(tmp_path):
    with pytest.raises(InboxConfigError, match="WIJKHUB_INBOX_COORDINATORS"):
        load_coordinators(tmp_path / "nope.toml")


def test_csrf_token_is_per_session_and_checked():
    session: dict = {}
    token = csrf_token(session)
    assert csrf_token(session) == token
    assert csrf_valid(session, token)
    assert not csrf_valid(session, token + "x")
    assert not csrf_valid(session, "")
    assert not csrf_valid({}, token)


def test_sessions_expire_and_log_out(tmp_path):
    h = hash_password("pw", log2_n=FAST)
    registry = load_coordinators(
        _write(tmp_path, f'[[coordinator]]\nid = "c"\npassword_hash = "{h}"\n')
    )
    now = [0.0]
    sessions = SessionRegistry(registry, lifetime_s=60, clock=lambda: now[0])
    session: dict = {"csrf": "before-login"}
    sessions.login(session, registry.get("c"))
    assert session["csrf"] != "before-login"  # a fresh token after login
    copy = dict(session)
    assert sessions.current(session).id == "c"
    sessions.logout(session)
    assert sessions.current(copy) is None  # the old cookie is dead on the server too
    sessions.login(session, registry.get("c"))
    now[0] = 61
    assert sessions.current(session) is None
