"""``wijkhub inbox serve``: the view store, its projector, the publisher and the web app.

SIGTERM and SIGINT stop it cleanly: uvicorn finishes the requests under way, then the
projector stops, the broker probe stops, the producer is flushed and closed and the store is
closed, in that order, and the process exits 0. (uvicorn re-raises the signal it caught once
it is done; with the default handler that would end the process before any clean-up, so
``serve`` installs handlers of its own first.)
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from types import FrameType

import uvicorn

from inbox.app import InboxContext, create_app, make_templates
from inbox.audit import Auditor
from inbox.config import InboxSettings
from inbox.coordinators import load_coordinators
from inbox.errors import InboxConfigError
from inbox.health import BrokerProbe
from inbox.metrics import InboxMetrics
from inbox.projector import Projector
from inbox.publisher import KafkaEventPublisher
from inbox.security import LoginGuard, SessionRegistry
from inbox.service import InboxService
from inbox.store import open_store
from schemas.logging import get_logger
from schemas.settings import KafkaSettings

__all__ = ["serve"]

_log = get_logger(__name__)
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_GRACE_S = 15


@contextmanager
def _stop_signals() -> Iterator[list[str]]:
    """Record SIGTERM/SIGINT instead of dying of them; yields the names received."""
    received: list[str] = []

    def record(signum: int, _frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, record) for sig in _STOP_SIGNALS}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _step(done: dict[str, str], name: str, action: Callable[[], object]) -> Callable[[], None]:
    """A clean-up step that notes how it went, and never keeps the next one from running."""

    def run() -> None:
        try:
            action()
        except Exception as exc:  # logged in the closing line; the other steps still run
            done[name] = f"failed: {type(exc).__name__}"
        else:
            done.setdefault(name, "done")

    return run


def serve(settings: InboxSettings, kafka: KafkaSettings) -> int:
    """Run the inbox until SIGTERM or Ctrl-C; returns the exit code (0 after a clean stop)."""
    if settings.session_secret is None:
        raise InboxConfigError(
            "WIJKHUB_INBOX_SESSION_SECRET is not set; give it 32+ random characters, e.g. "
            "from `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    if settings.host not in {"127.0.0.1", "::1", "localhost"}:
        _log.warning("inbox listens beyond loopback; put a TLS proxy in front", host=settings.host)
    coordinators = load_coordinators(settings.coordinators)
    done: dict[str, str] = {}
    with _stop_signals() as received, ExitStack() as stack:
        store = open_store(settings.store, password=settings.store_password)
        stack.callback(_step(done, "store", store.close))
        probe = BrokerProbe(kafka)
        publisher = KafkaEventPublisher(kafka, timeout=settings.kafka_timeout_s, broker_up=probe.up)
        stack.callback(_step(done, "producer", publisher.close))
        probe.start()
        stack.callback(_step(done, "probe", probe.stop))
        projector = Projector(kafka, store)
        projector.start()
        stack.callback(_step(done, "projector", lambda: _stop_projector(projector, done)))
        logins = LoginGuard(coordinators)
        stack.callback(_step(done, "logins", logins.close))
        metrics = InboxMetrics()
        auditor = Auditor(publisher, source=settings.source, metrics=metrics)
        service = InboxService(store, publisher, auditor, source=settings.source)
        ctx = InboxContext(
            service=service,
            coordinators=coordinators,
            sessions=SessionRegistry(coordinators, lifetime_s=settings.session_hours * 3600),
            logins=logins,
            templates=make_templates(),
            ready=lambda: projector.caught_up.is_set() and projector.error is None,
            broker_up=probe.up,
            metrics=metrics,
        )
        app = create_app(
            ctx,
            session_secret=settings.session_secret.get_secret_value(),
            cookie_secure=settings.cookie_secure,
            session_hours=settings.session_hours,
        )
        _log.info(
            "inbox serving",
            host=settings.host,
            port=settings.port,
            coordinators=len(coordinators),
            topics=kafka.topic_prefix,
        )
        if not received:  # a signal during start-up: do not start serving at all
            trusted = settings.trusted_proxies.strip()
            uvicorn.run(
                app,
                host=settings.host,
                port=settings.port,
                log_level="warning",
                proxy_headers=bool(trusted),
                forwarded_allow_ips=trusted or None,
                timeout_graceful_shutdown=_GRACE_S,
            )
    _log.info("inbox stopped", signal=",".join(received) or None, **done)
    return 0


def _stop_projector(projector: Projector, done: dict[str, str]) -> None:
    projector.stop()
    if projector.is_alive():
        done["projector"] = "still running after 10 s; the store is closed under it"
