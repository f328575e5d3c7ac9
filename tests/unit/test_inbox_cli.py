"""The inbox's ``wijkhub`` sub-commands: parsing, password hashing, and a clear error when
the inbox cannot be reached."""

from __future__ import annotations

import io

import pytest

from inbox.passwords import verify_password
from schemas.cli import build_parser, main


@pytest.fixture(autouse=True)
def _no_logging_setup(monkeypatch):
    """main() would bind structlog to capsys' stream for the rest of the session."""
    monkeypatch.setattr("schemas.cli.configure_logging", lambda: None)


def test_commands_are_registered():
    parser = build_parser()
    args = parser.parse_args(
        [
            "proposals",
            "decide",
            "6f0f3a7e-5b1c-4d0e-9a51-2f4c1b7f0d11",
            "closed",
            "--outcome",
            "referred",
        ]
    )
    assert (args.decision, args.outcome) == ("closed", "referred")
    assert parser.parse_args(["sink", "jsonl", "--out", "x.jsonl", "--once"]).once
    assert parser.parse_args(["sink", "webhook", "--url", "http://127.0.0.1/"]).max_attempts == 8
    assert parser.parse_args(
        ["audit", "show", "--proposal", "6f0f3a7e-5b1c-4d0e-9a51-2f4c1b7f0d11"]
    ).handler
    with pytest.raises(SystemExit):
        parser.parse_args(["proposals", "decide", "not-a-uuid", "accepted"])
    with pytest.raises(SystemExit):
        parser.parse_args(["proposals", "decide", "6f0f3a7e-5b1c-4d0e-9a51-2f4c1b7f0d11", "maybe"])


def test_hash_password_from_stdin(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("een-lang-wachtwoord\n"))
    assert main(["inbox", "hash-password", "--stdin"]) == 0
    stored = capsys.readouterr().out.strip()
    assert verify_password("een-lang-wachtwoord", stored)


def test_hash_password_refuses_short(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("kort\n"))
    assert main(["inbox", "hash-password", "--stdin"]) == 1
    assert "12 characters" in capsys.readouterr().err


def test_unreachable_inbox_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setenv("WIJKHUB_INBOX_PASSWORD", "x")
    code = main(["proposals", "list", "--url", "http://127.0.0.1:9", "--user", "coord-noord"])
    assert code == 1
    err = capsys.readouterr().err
    assert "cannot reach the inbox" in err
    assert "WIJKHUB_INBOX_URL" in err


def test_serve_without_secret_says_which_variable(monkeypatch, capsys):
    monkeypatch.delenv("WIJKHUB_INBOX_SESSION_SECRET", raising=False)
    assert main(["inbox", "serve"]) == 1
    assert "WIJKHUB_INBOX_SESSION_SECRET" in capsys.readouterr().err
