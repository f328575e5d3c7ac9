"""The secured broker refuses whoever does not log in over TLS, and wijkhub says why in one line.

Each refusal is tried with both client libraries wijkhub uses (kafka-python: connectors, admin,
inbox; aiokafka: the hub), then with the ``wijkhub`` commands, which must exit 1 with one line
naming the principal, the bootstrap server and what to change — never a traceback, never
anything half done.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr

from connectors.synthetic.generate import TRUTH_FILE, generate
from schemas.kafka_login import explain
from schemas.settings import KafkaSettings
from streams.ingress.keys import init_keys

pytestmark = pytest.mark.integration

WRONG = "not-the-admin-password"


@pytest.fixture
def secured(kafka_settings: KafkaSettings) -> KafkaSettings:
    """The session's settings, which must log in with SASL_SSL (the local broker's do)."""
    if kafka_settings.security_protocol != "SASL_SSL":
        reason = (
            "the session's broker is not secured with SASL_SSL (testcontainers' Kafka, or a "
            "plaintext KAFKA_BOOTSTRAP_SERVERS); these tests need the local broker"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return kafka_settings


def _refused(settings: KafkaSettings) -> None:
    """Both client libraries fail to connect with ``settings`` (and nothing else happens)."""
    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import KafkaConnectionError
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    with pytest.raises(KafkaError):
        KafkaAdminClient(**settings.kafka_python_config(), bootstrap_timeout_ms=3000)

    async def start_producer() -> None:
        producer = AIOKafkaProducer(**settings.aiokafka_config(), request_timeout_ms=3000)
        try:
            await producer.start()
        finally:
            await producer.stop()

    with pytest.raises(KafkaConnectionError):
        asyncio.run(start_producer())


@pytest.mark.parametrize(
    ("protocol", "cafile"),
    [("PLAINTEXT", False), ("SSL", True)],
    ids=["plaintext", "tls-without-login"],
)
def test_an_anonymous_client_is_refused(
    secured: KafkaSettings, protocol: str, cafile: bool
) -> None:
    anonymous = secured.model_copy(
        update={
            "security_protocol": protocol,
            "sasl_mechanism": None,
            "sasl_username": None,
            "sasl_password": None,
            "sasl_password_file": None,
            "ssl_cafile": secured.ssl_cafile if cafile else None,
        }
    )
    _refused(anonymous)
    error = explain(anonymous)
    assert error is not None
    expected = "requires TLS" if protocol == "PLAINTEXT" else "anonymous client"
    assert expected in str(error)
    assert secured.servers[0] in str(error)


def test_a_client_with_a_wrong_password_is_refused(secured: KafkaSettings) -> None:
    wrong = secured.model_copy(update={"sasl_password": SecretStr(WRONG)})
    _refused(wrong)
    error = explain(wrong)
    assert error is not None
    assert f"refused the login of principal {secured.sasl_username!r}" in str(error)
    assert WRONG not in str(error)
    assert explain(secured) is None  # the right password still works


def test_a_client_without_tls_is_refused(secured: KafkaSettings) -> None:
    no_tls = secured.model_copy(update={"security_protocol": "SASL_PLAINTEXT", "ssl_cafile": None})
    _refused(no_tls)
    error = explain(no_tls)
    assert error is not None
    assert "requires TLS" in str(error)
    assert "WIJKHUB_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT" in str(error)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """What the commands need besides Kafka: a small synthetic export and its mapping, the
    hub's public key, a coordinators file with one synthetic account."""
    out = tmp_path_factory.mktemp("exports")
    generate(out, households=20, seed=7, months=1)
    assert (out / TRUTH_FILE).exists()
    keys = tmp_path_factory.mktemp("keys")
    init_keys(keys)
    hashed = subprocess.run(
        [sys.executable, "-m", "schemas.cli", "inbox", "hash-password", "--stdin"],
        input="a-long-enough-test-password\n", capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    coordinators = tmp_path_factory.mktemp("inbox") / "coordinators.toml"
    coordinators.write_text(
        f'[[coordinator]]\nid = "coord-noord"\nrole = "coordinator"\nbuurten = ["BU03630000"]\n'
        f'password_hash = "{hashed.splitlines()[-1]}"\n',
        encoding="utf-8",
    )
    return {
        "export": next(out.glob("corporatie_huurachterstand_*.csv")),
        "mapping": out / "mappings" / "huurachterstand.toml",
        "public_key": keys / "hub.pub",
        "coordinators": coordinators,
    }


@pytest.mark.parametrize(
    "case",
    [
        ("topics create", "wrong password"),
        ("topics create", "unknown user"),
        ("topics create", "no TLS"),
        ("worker", "wrong password"),
        ("connector run", "no TLS"),
        ("connector run", "wrong password"),
        ("sink jsonl", "wrong password"),
        ("audit show", "unknown user"),
        ("inbox serve", "no TLS"),
        ("inbox serve", "wrong password"),
    ],
    ids=" / ".join,
)
def test_a_refused_command_says_why_in_one_line(
    secured: KafkaSettings,
    kafka_env: dict[str, str],
    inputs: dict[str, Path],
    tmp_path: Path,
    case: tuple[str, str],
) -> None:
    command, fault = case
    export, mapping = inputs["export"], inputs["mapping"]
    env = dict(kafka_env, WIJKHUB_HUB_PUBLIC_KEY=str(inputs["public_key"]),
               WIJKHUB_STATE_DIR=str(tmp_path / "state"), WIJKHUB_LOG_LEVEL="error",
               WIJKHUB_INBOX_COORDINATORS=str(inputs["coordinators"]),
               WIJKHUB_INBOX_STORE=":memory:",
               WIJKHUB_INBOX_SESSION_SECRET="s" * 40, WIJKHUB_INBOX_PORT="0")  # fmt: skip
    env.pop("WIJKHUB_KAFKA_SASL_PASSWORD", None)
    if fault == "wrong password":
        (tmp_path / "password").write_text(f"{WRONG}\n", encoding="utf-8")
        env["WIJKHUB_KAFKA_SASL_PASSWORD_FILE"] = str(tmp_path / "password")
    elif fault == "unknown user":
        env["WIJKHUB_KAFKA_SASL_USERNAME"] = "ghost-partner"
    else:
        env.update(WIJKHUB_KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT")
        env.pop("WIJKHUB_KAFKA_SSL_CAFILE", None)
    args = {
        "topics create": ["topics", "create"],
        "worker": ["worker"],
        "connector run": ["connector", "run", "corporation", "--input", str(export),
                          "--mapping", str(mapping), "--rejects", str(tmp_path / "rejects.csv")],
        "sink jsonl": ["sink", "jsonl", "--out", str(tmp_path / "out.jsonl"), "--once"],
        "audit show": ["audit", "show", "--proposal", str(uuid.uuid4())],
        "inbox serve": ["inbox", "serve"],
    }[command]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "schemas.cli", *args],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr  # no traceback, no log noise
    line = lines[0]
    assert line.startswith("wijkhub: error: the broker at ")
    assert secured.servers[0] in line
    principal = "ghost-partner" if fault == "unknown user" else secured.sasl_username
    assert f"principal {principal!r}" in line
    if fault == "no TLS":
        assert "requires TLS" in line
    else:
        assert "wrong password or unknown user" in line
    assert WRONG not in done.stdout + done.stderr
    # nothing half done: no topic of this test's prefix was created, nothing was published
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(**secured.kafka_python_config())
    try:
        assert not [t for t in admin.list_topics() if t.startswith(secured.topic_prefix)]
    finally:
        admin.close()
    assert not (tmp_path / "out.jsonl").exists()
