"""Fixtures shared by every test.

The broker: ``KAFKA_BOOTSTRAP_SERVERS`` when set, with the ``WIJKHUB_KAFKA_*`` security
settings of the environment; otherwise the local secured broker (``deploy/local/kafka.sh``,
started here and stopped at the end if this session started it), whose settings
(``kafka.sh env``: SASL_SSL, the admin login, the CA file) go into the environment for the
session, so that every ``KafkaSettings()`` and every ``wijkhub`` subprocess logs in over TLS;
otherwise testcontainers' Kafka (plaintext) when a Docker engine answers. With ``CI=true`` an
unavailable broker fails the run — it is never a skip.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote, urlencode

import pytest
from pydantic import SecretStr

from schemas.errors import WijkhubError
from schemas.kafka_login import ProbeError, login_probe
from schemas.settings import KafkaSettings

ROOT = Path(__file__).resolve().parent.parent
KAFKA_SH = ROOT / "deploy" / "local" / "kafka.sh"


def _login_problem() -> str | None:
    """Why the cluster in the environment does not take our login; ``None`` when it does."""
    try:
        settings = KafkaSettings()
    except WijkhubError as exc:
        return str(exc)
    problems = []
    for server in settings.servers:
        try:
            login_probe(settings, server)
        except ProbeError as exc:
            problems.append(f"{server}: {exc}")
        else:
            return None
    return "; ".join(problems)


def _local_broker_env() -> dict[str, str]:
    """``kafka.sh env``: what a client of the local broker needs."""
    out = subprocess.run(
        ["bash", str(KAFKA_SH), "env"], capture_output=True, text=True, check=True
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"no Kafka broker for the integration tests: {reason}", pytrace=False)
    pytest.skip(f"no Kafka broker: {reason}")


def _docker_kafka() -> Iterator[str] | None:
    if not shutil.which("docker"):
        return None
    probe = subprocess.run(["docker", "info"], capture_output=True, check=False)
    if probe.returncode != 0:
        return None
    from testcontainers.kafka import KafkaContainer

    def gen() -> Iterator[str]:
        with KafkaContainer().with_kraft() as kafka:
            yield kafka.get_bootstrap_server()

    return gen()


@pytest.fixture(scope="session")
def bootstrap_servers() -> Iterator[str]:
    """``host:port`` of a real Kafka broker for this test session; how to log in to it is in
    the environment (``WIJKHUB_KAFKA_*``) for the whole session."""
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        problem = _login_problem()
        if problem:
            _unavailable(f"KAFKA_BOOTSTRAP_SERVERS={configured} does not take our login: {problem}")
        yield configured
        return
    if shutil.which("java"):
        status = subprocess.run(["bash", str(KAFKA_SH), "status"], capture_output=True, check=False)
        already = status.returncode == 0
        started = subprocess.run(["bash", str(KAFKA_SH), "start"], check=False)
        if started.returncode != 0:
            _unavailable(f"{KAFKA_SH} start failed (exit {started.returncode})")
        try:
            with pytest.MonkeyPatch.context() as session_env:
                for name, value in _local_broker_env().items():
                    session_env.setenv(name, value)
                yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        finally:
            if not already:
                subprocess.run(["bash", str(KAFKA_SH), "stop"], check=False)
        return
    docker = _docker_kafka()
    if docker is not None:
        yield from docker
        return
    _unavailable("set KAFKA_BOOTSTRAP_SERVERS, or install Java 17+ and Maven, or run Docker")


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """Make names (topics, groups, app ids) that no other test uses."""

    def make(prefix: str = "t") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    return make


@pytest.fixture
def kafka_settings(bootstrap_servers: str, unique_name: Callable[[str], str]) -> KafkaSettings:
    """Settings for this test: the session's broker (and login) and a topic prefix of its own."""
    return KafkaSettings(bootstrap_servers=bootstrap_servers, topic_prefix=unique_name("t"))


@pytest.fixture
def kafka_env(kafka_settings: KafkaSettings, tmp_path: Path) -> dict[str, str]:
    """Environment for a ``wijkhub`` subprocess that talks to this test's topics (it logs in
    as the session does: the security settings are in the environment)."""
    env = dict(os.environ)
    env.update(
        {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
            "WIJKHUB_TOPIC_PREFIX": kafka_settings.topic_prefix,
            "WIJKHUB_HUB_APP_ID": f"{kafka_settings.topic_prefix}-hub",
            "WIJKHUB_HUB_DATA_DIR": str(tmp_path / "hub"),
            "WIJKHUB_HUB_WEB_PORT": "0",
            "WIJKHUB_LOG_FORMAT": "json",
        }
    )
    return env


# --- PostgreSQL for the inbox's view store (tests marked ``postgres``) ----------------------
#
# ``WIJKHUB_TEST_POSTGRES_URL`` when set (its role must be allowed to create schemas);
# otherwise a throwaway server from Debian's binaries (``apt-get install -y postgresql``):
# ``initdb`` into a temporary directory, listening on 127.0.0.1 on a free port only, with a
# random password, stopped at the end. PostgreSQL refuses to run as root, so as root the
# server runs as the ``postgres`` system user. Without PostgreSQL the tests skip, except under
# ``CI=true``: they fail. Each test gets a schema of its own.


@dataclass(frozen=True)
class PostgresDatabase:
    """A PostgreSQL schema for one test: a URL without password, and the password."""

    url: str
    password: SecretStr | None
    schema: str

    def connect(self) -> Any:
        """A psycopg connection (autocommit) to this test's schema."""
        import psycopg

        secret = self.password.get_secret_value() if self.password else None
        return psycopg.connect(self.url, password=secret, autocommit=True)


def _postgres_unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"no PostgreSQL for the postgres tests: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL: {reason}")


def _postgres_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent  # Debian: /usr/lib/postgresql/<version>/bin
    versions = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")]
    versions.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return versions[-1] if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _local_postgres() -> Iterator[tuple[dict[str, str], str]]:
    """Start Debian's PostgreSQL in a temporary directory; yield its parameters and password."""
    bindir = _postgres_bindir()
    if bindir is None:
        _postgres_unavailable(
            "set WIJKHUB_TEST_POSTGRES_URL, or apt-get install -y postgresql "
            "(initdb and pg_ctl under /usr/lib/postgresql/<version>/bin)"
        )
    as_root = os.geteuid() == 0
    if as_root:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            _postgres_unavailable("running as root, and there is no 'postgres' user to run it")
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    tmp = Path(tempfile.mkdtemp(prefix="wijkhub-pg-"))
    password = secrets.token_urlsafe(24)
    (tmp / "pwfile").write_text(password + "\n", encoding="utf-8")
    if as_root:
        for path in (tmp, tmp / "pwfile"):
            shutil.chown(path, "postgres")
    data, log, port = tmp / "data", tmp / "server.log", _free_port()
    server = [
        f"-p {port}",
        "-c listen_addresses=127.0.0.1",
        f"-c unix_socket_directories={tmp}",
        "-c fsync=off",  # a throwaway server: durability is not under test here
    ]
    try:
        subprocess.run(
            [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8",
             "--no-locale", "--auth=scram-sha-256", f"--pwfile={tmp / 'pwfile'}", "--no-sync"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        started = subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
             "-o", " ".join(server), "start"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if started.returncode != 0:
            tail = log.read_text(encoding="utf-8")[-2000:] if log.exists() else started.stderr
            _postgres_unavailable(f"pg_ctl start failed (exit {started.returncode}): {tail}")
        pid = int((data / "postmaster.pid").read_text(encoding="utf-8").split()[0])
        try:
            yield {"host": "127.0.0.1", "port": str(port), "user": "postgres"}, password
        finally:
            stopped = subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                capture_output=True, check=False,
            )  # fmt: skip
            if stopped.returncode != 0:
                os.kill(pid, signal.SIGTERM)  # the postmaster this fixture started
    except subprocess.CalledProcessError as exc:
        _postgres_unavailable(f"{exc.cmd[len(prefix)]} failed: {exc.stderr}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[tuple[dict[str, str], str | None]]:
    """libpq parameters (no password) and the password of a PostgreSQL for this session."""
    try:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        _postgres_unavailable("psycopg is not installed: pip install -e '.[dev]'")
    configured = os.environ.get("WIJKHUB_TEST_POSTGRES_URL")
    if configured:
        try:
            psycopg.connect(configured, connect_timeout=5).close()
        except psycopg.OperationalError as exc:
            _postgres_unavailable(f"WIJKHUB_TEST_POSTGRES_URL does not answer: {exc}")
        params = {k: str(v) for k, v in conninfo_to_dict(configured).items() if v is not None}
        yield params, params.pop("password", None)
    else:
        yield from _local_postgres()


@pytest.fixture
def postgres_db(postgres_server: tuple[dict[str, str], str | None]) -> Iterator[PostgresDatabase]:
    """A schema of its own on the session's PostgreSQL, dropped afterwards."""
    import psycopg

    params, password = postgres_server
    schema = f"t_{uuid.uuid4().hex[:12]}"
    query = dict(params)
    host, port = query.pop("host", "localhost"), query.pop("port", "5432")
    user, dbname = query.pop("user", ""), query.pop("dbname", "postgres")
    query["options"] = f"{query.get('options', '')} -csearch_path={schema}".strip()
    url = (
        f"postgresql://{quote(user, safe='')}@{quote(host, safe='')}:{port}/"
        f"{quote(dbname, safe='')}?{urlencode(query, quote_via=quote)}"
    )
    with psycopg.connect(url, password=password, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    yield PostgresDatabase(url, SecretStr(password) if password else None, schema)
    with psycopg.connect(url, password=password, autocommit=True) as admin:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
