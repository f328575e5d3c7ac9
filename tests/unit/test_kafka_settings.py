"""How a client logs in: the password from a file, the CA in the TLS context, no secret in a
dump, and one clear line (never a traceback) when the settings cannot work."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import pytest

from schemas.cli import main
from schemas.errors import ConfigError, KafkaAuthError
from schemas.settings import KafkaSettings

# A throwaway self-signed CA certificate (public part only), valid until 2126.
TEST_CA = """-----BEGIN CERTIFICATE-----
MIIBlTCCATugAwIBAgIUS4Gl+QYMj1qedvp0NYSgAQfNR80wCgYIKoZIzj0EAwIw
HzEdMBsGA1UEAwwUd2lqa2h1YiB1bml0LXRlc3QgQ0EwIBcNMjYxMTI5MTM1NDI2
WhgPMjEyNjExMDUxMzU0MjZaMB8xHTAbBgNVBAMMFHdpamtodWIgdW5pdC10ZXN0
IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEdyWQigUAOiUXdBwvCQDUcpde
JGBBmX9n4QX83O+HM6y1TwC8GndsOyah0CZheuncWYSU7Sru+e6vfIE8/B72xaNT
MFEwHQYDVR0OBBYEFGbWlkOMrCHeWnU8q/RjyhnTx5pZMB8GA1UdIwQYMBaAFGbW
lkOMrCHeWnU8q/RjyhnTx5pZMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwID
SAAwRQIgHJLcIphxGelwx5ydpzYNujlonNH3OJ03sHOyHR1s26ACIQCB5k2CYgry
TUKhYWa9acdeLVUCcWvYGrL0A5kYR6b9Fg==
-----END CERTIFICATE-----
"""
SECRET = "pw-7f3a9c1e"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets: the session's broker settings are in the environment."""
    for name in list(os.environ):
        if name == "KAFKA_BOOTSTRAP_SERVERS" or name.startswith("WIJKHUB_KAFKA_"):
            monkeypatch.delenv(name)


@pytest.fixture
def secured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment of a SASL_SSL client whose password is in a file; returns the file."""
    ca, password = tmp_path / "ca.pem", tmp_path / "partner.password"
    ca.write_text(TEST_CA, encoding="utf-8")
    password.write_text(SECRET + "\n", encoding="utf-8")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    monkeypatch.setenv("WIJKHUB_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("WIJKHUB_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("WIJKHUB_KAFKA_SASL_USERNAME", "corporatie-a")
    monkeypatch.setenv("WIJKHUB_KAFKA_SASL_PASSWORD_FILE", str(password))
    monkeypatch.setenv("WIJKHUB_KAFKA_SSL_CAFILE", str(ca))
    return password


def test_password_comes_from_its_file_and_never_shows(secured: Path) -> None:
    settings = KafkaSettings()
    assert settings.sasl_password is not None
    assert settings.sasl_password.get_secret_value() == SECRET  # first line, newline dropped
    for shown in (repr(settings), str(settings), settings.model_dump_json(),
                  str(settings.model_dump()), str(settings.model_dump(mode="json"))):  # fmt: skip
        assert SECRET not in shown
    assert str(secured) in repr(settings)  # where the secret lives may show, it is no secret


def test_every_client_library_gets_the_login_and_a_context_with_the_ca(secured: Path) -> None:
    settings = KafkaSettings()
    for cfg in (settings.kafka_python_config(), settings.aiokafka_config()):
        assert cfg["security_protocol"] == "SASL_SSL"
        assert cfg["sasl_mechanism"] == "SCRAM-SHA-512"
        assert cfg["sasl_plain_username"] == "corporatie-a"
        assert cfg["sasl_plain_password"] == SECRET
        context: ssl.SSLContext = cfg["ssl_context"]
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname
        subjects = [dict(rdn[0] for rdn in ca["subject"]) for ca in context.get_ca_certs()]
        assert {"commonName": "wijkhub unit-test CA"} in subjects
    assert settings.principal == "corporatie-a"


def test_faust_gets_sasl_over_tls_with_the_same_ca(secured: Path) -> None:
    pytest.importorskip("faust")
    from faust.types.auth import AuthProtocol

    from streams.runtime.app import broker_credentials

    credentials = broker_credentials(KafkaSettings())
    assert credentials.protocol == AuthProtocol.SASL_SSL
    assert credentials.mechanism.value == "SCRAM-SHA-512"
    assert (credentials.username, credentials.password) == ("corporatie-a", SECRET)
    assert SECRET not in repr(credentials)
    names = [dict(rdn[0] for rdn in c["subject"]) for c in credentials.ssl_context.get_ca_certs()]
    assert {"commonName": "wijkhub unit-test CA"} in names


def test_plaintext_has_no_tls_and_no_login() -> None:
    cfg = KafkaSettings().kafka_python_config()
    assert cfg["security_protocol"] == "PLAINTEXT"
    assert "ssl_context" not in cfg
    assert "sasl_plain_password" not in cfg
    assert KafkaSettings().principal == "anonymous"


def test_a_password_twice_is_refused(secured: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIJKHUB_KAFKA_SASL_PASSWORD", "another")
    with pytest.raises(ConfigError, match="keep one"):
        KafkaSettings()


def test_a_missing_password_file_names_the_file_and_the_principal(
    secured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secured.unlink()
    with pytest.raises(KafkaAuthError) as caught:
        KafkaSettings()
    message = str(caught.value)
    assert str(secured) in message
    assert "WIJKHUB_KAFKA_SASL_PASSWORD_FILE" in message
    assert "'corporatie-a'" in message


def test_an_empty_password_file_is_refused(secured: Path) -> None:
    secured.write_text("\n", encoding="utf-8")
    with pytest.raises(KafkaAuthError, match="is empty"):
        KafkaSettings()


def test_a_login_without_tls_or_sasl_protocol_is_refused(
    secured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIJKHUB_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    with pytest.raises(ConfigError, match="sends no login"):
        KafkaSettings()


def test_sasl_without_a_password_names_what_is_missing(
    secured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WIJKHUB_KAFKA_SASL_PASSWORD_FILE")
    with pytest.raises(ConfigError, match="WIJKHUB_KAFKA_SASL_PASSWORD_FILE"):
        KafkaSettings()


@pytest.mark.parametrize("content", [None, "not a certificate\n"])
def test_a_missing_or_unreadable_ca_file_is_one_clear_line_from_the_cli(
    content: str | None,
    secured: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ca = tmp_path / "other-ca.pem"
    if content is not None:
        ca.write_text(content, encoding="utf-8")
    monkeypatch.setenv("WIJKHUB_KAFKA_SSL_CAFILE", str(ca))
    assert main(["topics", "create"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one line, no traceback
    assert err.startswith("wijkhub: error: cannot load the CA certificate")
    assert str(ca) in err
    assert "WIJKHUB_KAFKA_SSL_CAFILE" in err
    assert "'corporatie-a'" in err
    assert "127.0.0.1:1" in err
    assert SECRET not in err
