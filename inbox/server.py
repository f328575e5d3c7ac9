"""``wijkhub inbox serve``: the view store, its projector, the publisher and the web app."""

from __future__ import annotations

import uvicorn

from inbox.app import InboxContext, create_app, make_templates
from inbox.audit import Auditor
from inbox.config import InboxSettings
from inbox.coordinators import load_coordinators
from inbox.errors import InboxConfigError
from inbox.projector import Projector
from inbox.publisher import KafkaEventPublisher
from inbox.security import LoginThrottle, SessionRegistry
from inbox.service import InboxService
from inbox.store import open_store
from schemas.logging import get_logger
from schemas.settings import KafkaSettings

__all__ = ["serve"]

_log = get_logger(__name__)


def serve(settings: InboxSettings, kafka: KafkaSettings) -> int:
    """Run the inbox until Ctrl-C or SIGTERM; returns the exit code."""
    if settings.session_secret is None:
        raise InboxConfigError(
            "WIJKHUB_INBOX_SESSION_SECRET is not set; give it 32+ random characters, e.g. "
            "from `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    if settings.host not in {"127.0.0.1", "::1", "localhost"}:
        _log.warning("inbox listens beyond loopback; put a TLS proxy in front", host=settings.host)
    coordinators = load_coordinators(settings.coordinators)
    store = open_store(settings.store, password=settings.store_password)
    publisher = KafkaEventPublisher(kafka)
    projector = Projector(kafka, store)
    service = InboxService(
        store, publisher, Auditor(publisher, source=settings.source), source=settings.source
    )
    ctx = InboxContext(
        service=service,
        coordinators=coordinators,
        sessions=SessionRegistry(coordinators, lifetime_s=settings.session_hours * 3600),
        throttle=LoginThrottle(),
        templates=make_templates(),
        ready=lambda: projector.caught_up.is_set() and projector.error is None,
    )
    app = create_app(
        ctx,
        session_secret=settings.session_secret.get_secret_value(),
        cookie_secure=settings.cookie_secure,
        session_hours=settings.session_hours,
    )
    projector.start()
    _log.info(
        "inbox serving",
        host=settings.host,
        port=settings.port,
        coordinators=len(coordinators),
        topics=kafka.topic_prefix,
    )
    try:
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    finally:
        projector.stop()
        publisher.close()
        store.close()
    return 0
