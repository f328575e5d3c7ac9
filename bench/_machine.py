"""Machine details recorded beside every benchmark result."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

PACKAGES = ("faust-streaming", "aiokafka", "kafka-python", "fastavro", "pydantic", "rocksdict")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return 0.0


def _kafka_version() -> str:
    pom = Path(__file__).resolve().parent.parent / "deploy" / "local" / "pom.xml"
    text = pom.read_text()
    start = text.find("<kafka.version>") + len("<kafka.version>")
    return text[start : text.find("</kafka.version>")]


def _pkg(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def machine_details(bootstrap: str) -> dict[str, Any]:
    """What ran the benchmark: CPU, cores, memory, Python, Kafka, library versions."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _mem_total_gib(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "kafka": _kafka_version(),
        "bootstrap": bootstrap,
        "commit": commit or "unknown",
        "packages": {name: _pkg(name) for name in PACKAGES},
    }
