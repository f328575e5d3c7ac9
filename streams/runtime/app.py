"""The Faust application of the hub, built from settings.

Faust's ``exactly_once`` has open bugs, so the hub runs at-least-once and every output is
idempotent (deterministic ids; consumers deduplicate). Topics come from the catalogue and
are created before the worker starts: the local broker does not auto-create topics.
"""

from __future__ import annotations

from typing import Any

import faust

from schemas.settings import KafkaSettings
from streams.runtime import heartbeat
from streams.runtime.batchloop import run_with
from streams.runtime.metrics import Metrics, register_batch_log
from streams.settings import HubSettings

__all__ = ["broker_credentials", "create_app", "register_stages"]


def broker_credentials(kafka: KafkaSettings) -> Any:
    """Faust's ``broker_credentials`` for ``kafka``: the SASL login and the TLS context that
    trusts ``WIJKHUB_KAFKA_SSL_CAFILE`` (``None`` for a plaintext cluster)."""
    tls = kafka.ssl_context() if "SSL" in kafka.security_protocol else None
    if kafka.security_protocol.startswith("SASL_"):
        # SASL_SSL when given a context, else SASL_PLAINTEXT (faust.auth.SASLCredentials)
        return faust.SASLCredentials(
            username=kafka.sasl_username,
            password=kafka.sasl_password.get_secret_value() if kafka.sasl_password else None,
            mechanism=kafka.sasl_mechanism,
            ssl_context=tls,
        )
    if tls is not None:
        return faust.SSLCredentials(tls)
    return None


def create_app(kafka: KafkaSettings | None = None, hub: HubSettings | None = None) -> Any:
    """A configured ``faust.App`` with every stage of the hub registered."""
    kafka = kafka or KafkaSettings()
    hub = hub or HubSettings()
    app = faust.App(
        hub.app_id,
        broker=[f"kafka://{server}" for server in kafka.servers],
        broker_credentials=broker_credentials(kafka),
        store=hub.store_url,
        datadir=str(hub.data_dir),
        web_enabled=hub.web_port > 0,
        web_bind="127.0.0.1",
        web_port=hub.web_port or 6066,
        web_host="127.0.0.1",
        topic_partitions=hub.partitions,
        topic_replication_factor=1,
        topic_allow_declare=True,
        producer_acks=-1,
        processing_guarantee="at_least_once",
        table_cleanup_interval=30.0,
        broker_commit_interval=hub.commit_interval,
        broker_session_timeout=hub.session_timeout,
        broker_heartbeat_interval=min(3.0, hub.session_timeout / 3),
        autodiscover=False,
    )
    register_stages(app, kafka, hub)
    return app


def register_stages(app: Any, kafka: KafkaSettings, hub: HubSettings) -> Metrics:
    """Start every stage of the hub with ``app``; returns the hub's counters.

    The ingress and household stages are batch loops run as services of the app; the
    heartbeat is a Faust agent with a table; a timer logs one ``hub batch`` line; with a web
    port, Faust's web server answers ``/metrics``, ``/healthz``, ``/readyz`` and ``/livez``
    (:mod:`streams.runtime.health`).
    """
    from streams.household.processor import HouseholdProcessor
    from streams.ingress.forwarder import IngressForwarder
    from streams.ingress.keys import load_keys
    from streams.rules import load_rules

    metrics = Metrics()
    heartbeat.register(app, kafka)
    keys, book = load_keys(hub.keys_dir), load_rules(hub.rules)
    app.wijkhub_ingress = run_with(app, IngressForwarder, kafka, hub, keys, metrics)
    app.wijkhub_household = run_with(app, HouseholdProcessor, kafka, hub, book, metrics)
    register_batch_log(app, metrics)
    if hub.web_port > 0:
        from streams.runtime.health import register_web

        register_web(app, kafka, metrics)
    return metrics
