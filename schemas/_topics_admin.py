"""Apply the topic catalogue to a cluster with kafka-python's admin client."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from schemas.catalogue import TopicSpec
from schemas.errors import ConfigError
from schemas.kafka_login import check_login
from schemas.logging import get_logger
from schemas.settings import KafkaSettings

__all__ = ["Drift", "TopicReport", "apply"]

_log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Drift:
    """A setting of an existing topic that differs from the catalogue."""

    topic: str
    setting: str
    expected: str
    actual: str

    def __str__(self) -> str:
        return f"{self.topic}: {self.setting} is {self.actual}, catalogue says {self.expected}"


@dataclass(slots=True)
class TopicReport:
    """What :func:`apply` found and did."""

    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every topic exists as the catalogue says."""
        return not self.drift


def _admin(settings: KafkaSettings) -> Any:
    try:
        from kafka.admin import KafkaAdminClient
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ConfigError(
            "kafka-python is not installed; install wijkhub[connectors] or wijkhub[hub]"
        ) from exc
    check_login(settings)  # a refused login: one clear line now, not a 30 s timeout
    return KafkaAdminClient(**settings.kafka_python_config(), client_id="wijkhub-topics")


def apply(
    settings: KafkaSettings, catalogue: tuple[TopicSpec, ...], *, replication: int | None = None
) -> TopicReport:
    """Create the missing topics of ``catalogue``; compare the existing ones with it."""
    from kafka.admin import ConfigResource, ConfigResourceType
    from kafka.errors import TopicAlreadyExistsError

    report = TopicReport()
    admin = _admin(settings)
    try:
        brokers = len(admin.describe_cluster()["brokers"])
        existing = set(admin.list_topics())
        for spec in catalogue:
            name = settings.topic(spec.name)
            replicas = replication or min(spec.replication, brokers)
            config = spec.config(replication=replicas)
            if name not in existing:
                try:
                    admin.create_topics(
                        {
                            name: {
                                "num_partitions": spec.partitions,
                                "replication_factor": replicas,
                                "configs": config,
                            }
                        }
                    )
                except TopicAlreadyExistsError:
                    pass  # created concurrently: compare it below
                else:
                    report.created.append(name)
                    _log.info("topic created", topic=name, partitions=spec.partitions)
                    continue
            before = len(report.drift)
            resource = ConfigResource(ConfigResourceType.TOPIC, name)
            _compare(admin, resource, spec=spec, replicas=replicas, config=config, report=report)
            if len(report.drift) == before:
                report.unchanged.append(name)
        for name in report.created:  # return only once producers can use them
            _describe(admin, name)
    finally:
        admin.close()
    for drift in report.drift:
        _log.warning(
            "topic drift",
            topic=drift.topic,
            setting=drift.setting,
            expected=drift.expected,
            actual=drift.actual,
        )
    return report


def _describe(admin: Any, name: str, timeout: float = 15.0) -> dict[str, Any]:
    """The topic's description, once the cluster's metadata knows its partitions.

    Right after a topic is created (here or by a concurrent caller) the metadata may not list
    it yet; that is not drift, so wait for it a little.
    """
    deadline = time.monotonic() + timeout
    while True:
        (described,) = admin.describe_topics([name])
        if described.get("error_code", 0) == 0 and described["partitions"]:
            return dict(described)
        if time.monotonic() > deadline:
            return dict(described)
        time.sleep(0.1)


def _compare(
    admin: Any,
    resource: Any,
    *,
    spec: TopicSpec,
    replicas: int,
    config: dict[str, str],
    report: TopicReport,
) -> None:
    name = resource.name
    described = _describe(admin, name)
    partitions = len(described["partitions"])
    if partitions != spec.partitions:
        report.drift.append(Drift(name, "partitions", str(spec.partitions), str(partitions)))
    factor = min((len(p["replica_nodes"]) for p in described["partitions"]), default=0)
    if factor != replicas:
        report.drift.append(Drift(name, "replication", str(replicas), str(factor)))
    actual = admin.describe_configs([resource], config_filter="all")["topic"][name]
    for key, want in config.items():
        have = actual.get(key, {}).get("value")
        if have != want:
            report.drift.append(Drift(name, key, want, str(have)))
