"""deploy/local/kafka.sh without a broker: what a client is told, and refusals up front."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KAFKA_SH = ROOT / "deploy" / "local" / "kafka.sh"


def run(*args: str, run_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WIJKHUB_KAFKA_")}
    environment.update(WIJKHUB_KAFKA_RUN_DIR=str(run_dir), **env)
    return subprocess.run(
        ["bash", str(KAFKA_SH), *args], env=environment, capture_output=True, text=True,
        timeout=30, check=False,
    )  # fmt: skip


def test_env_tells_a_client_everything_it_needs(tmp_path: Path) -> None:
    run_dir = tmp_path / "run dir"  # a space, as a home directory may have
    done = run("env", run_dir=run_dir, WIJKHUB_KAFKA_PORT="19192")
    assert done.returncode == 0, done.stderr
    lines = dict(line.split("=", 1) for line in done.stdout.splitlines())
    assert lines == {
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:19192",
        "WIJKHUB_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "WIJKHUB_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "WIJKHUB_KAFKA_SASL_USERNAME": "admin",
        "WIJKHUB_KAFKA_SASL_PASSWORD_FILE": str(run_dir / "secrets" / "admin.password"),
        "WIJKHUB_KAFKA_SSL_CAFILE": str(run_dir / "tls" / "ca.pem"),
    }
    exported = run("env", "--export", run_dir=run_dir, WIJKHUB_KAFKA_PORT="19192").stdout
    shell = subprocess.run(
        ["bash", "-c", f'{exported}\nprintf "%s\\n" "$WIJKHUB_KAFKA_SSL_CAFILE"'],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert shell.stdout.strip() == lines["WIJKHUB_KAFKA_SSL_CAFILE"]


def test_three_nodes_listen_two_ports_apart(tmp_path: Path) -> None:
    (tmp_path / "current").write_text("3\n", encoding="utf-8")
    done = run("env", run_dir=tmp_path, WIJKHUB_KAFKA_PORT="19192")
    assert "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19192,127.0.0.1:19194,127.0.0.1:19196\n" in (
        done.stdout
    )


def test_start_refuses_an_even_number_of_nodes(tmp_path: Path) -> None:
    done = run("start", "--brokers", "2", run_dir=tmp_path)
    assert done.returncode == 1
    assert "--brokers takes 1 or 3" in done.stderr
    assert not (tmp_path / "secrets").exists()  # refused before anything was created


def test_start_refuses_ports_that_overlap(tmp_path: Path) -> None:
    done = run("start", "--brokers", "3", run_dir=tmp_path,
               WIJKHUB_KAFKA_PORT="19192", WIJKHUB_KAFKA_CONTROLLER_PORT="19194")  # fmt: skip
    assert done.returncode == 1
    assert "overlap" in done.stderr
    assert "controller port = port + 1" in done.stderr


def test_unknown_nodes_and_tools_are_named(tmp_path: Path) -> None:
    done = run("kill", "5", run_dir=tmp_path)
    assert done.returncode == 1
    assert "node 5 does not exist; this cluster has 1 node(s)" in done.stderr
    done = run("tool", "kafka-nonsense", run_dir=tmp_path)
    assert done.returncode == 1
    assert "unknown tool 'kafka-nonsense'" in done.stderr
