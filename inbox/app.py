"""The inbox web application: HTML pages and a JSON API on one FastAPI app.

:func:`create_app` takes every collaborator, so tests build the real app on an in-memory
store and the server (:mod:`inbox.server`) on SQLite and Kafka.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from inbox.coordinators import CoordinatorRegistry
from inbox.errors import InboxError, PublishFailedError
from inbox.labels import label
from inbox.metrics import InboxMetrics
from inbox.security import LoginBusyError, LoginGuard, LoginThrottledError, SessionRegistry
from inbox.service import (
    DecisionConflictError,
    DecisionInvalidError,
    InboxService,
    ProposalNotFoundError,
)
from schemas.logging import get_logger

__all__ = ["InboxContext", "create_app"]

_HERE = Path(__file__).resolve().parent
_log = get_logger(__name__)
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_STATUS: dict[type[Exception], int] = {
    LoginThrottledError: 429,
    LoginBusyError: 503,
    ProposalNotFoundError: 404,
    DecisionConflictError: 409,
    DecisionInvalidError: 422,
    PublishFailedError: 503,
}
_TITLES = {
    400: "Verzoek niet begrepen",
    401: "Niet ingelogd",
    403: "Geen toegang",
    404: "Niet gevonden",
    405: "Niet toegestaan",
    409: "Al besloten of ingetrokken",
    422: "Controleer uw invoer",
    429: "Te veel pogingen",
    500: "Er ging iets mis",
    503: "Tijdelijk niet beschikbaar",
}


def _always_up() -> bool:
    return True


@dataclass(frozen=True, slots=True)
class InboxContext:
    """Everything the routes need.

    ``ready``: the view store has caught up and its projector runs; ``broker_up``: Kafka
    answers (:class:`~inbox.health.BrokerProbe`). Both must answer at once. ``metrics``: the
    Prometheus metrics served at ``/metrics`` (the same object the auditor counts in).
    """

    service: InboxService
    coordinators: CoordinatorRegistry
    sessions: SessionRegistry
    logins: LoginGuard
    templates: Jinja2Templates
    ready: Callable[[], bool]
    broker_up: Callable[[], bool] = _always_up
    metrics: InboxMetrics = field(default_factory=InboxMetrics)


_MESSAGES: dict[type[Exception], str] = {
    ProposalNotFoundError: "Dit voorstel bestaat niet of valt buiten uw buurten.",
    DecisionConflictError: (
        "Over dit voorstel is al besloten, of het is ingetrokken. Er is niets vastgelegd."
    ),
    DecisionInvalidError: "Kies bij 'Afgesloten' een uitkomst, en alleen dan.",
    LoginBusyError: "Het is even te druk om in te loggen. Probeer het zo opnieuw.",
    PublishFailedError: (
        "Het systeem kon dit nu niet vastleggen. Er is niets gewijzigd; probeer het zo opnieuw."
    ),
}


def _error_message(exc: Exception) -> str:
    if isinstance(exc, LoginThrottledError):
        return f"Te veel mislukte pogingen. Probeer het over {exc.retry_after_s} seconden opnieuw."
    return next((m for t, m in _MESSAGES.items() if isinstance(exc, t)), "Er ging iets mis.")


def error_response(request: Request, status: int, message: str, detail: str = "") -> Response:
    """JSON for the API, an HTML page for the rest."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": detail or message}, status_code=status)
    ctx: InboxContext = request.app.state.inbox
    return ctx.templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "title": _TITLES.get(status, "Fout"), "message": message},
        status_code=status,
    )


def _install_error_handlers(app: FastAPI) -> None:
    async def inbox_error(request: Request, exc: Exception) -> Response:
        status = next((s for t, s in _STATUS.items() if isinstance(exc, t)), 500)
        response = error_response(request, status, _error_message(exc), str(exc))
        retry_after = getattr(exc, "retry_after_s", None)
        if isinstance(retry_after, int):
            response.headers["Retry-After"] = str(retry_after)
        return response

    async def http_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, StarletteHTTPException):  # pragma: no cover - by registration
            raise exc
        message = str(exc.detail) if exc.status_code != 404 else "Deze pagina bestaat niet."
        response = error_response(request, exc.status_code, message)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    async def invalid(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, RequestValidationError):  # pragma: no cover - by registration
            raise exc
        if request.url.path.startswith("/api/"):
            errors = [
                {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                for e in exc.errors()
            ]  # never echo the input back
            return JSONResponse({"detail": errors}, status_code=422)
        return error_response(
            request, 422, "Controleer uw invoer: een veld ontbreekt of klopt niet."
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        _log.error("inbox request failed", path=request.url.path, error=type(exc).__name__)
        return error_response(request, 500, "Er ging iets mis. Probeer het later opnieuw.")

    app.add_exception_handler(Exception, unexpected)
    app.add_exception_handler(InboxError, inbox_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)


def create_app(
    ctx: InboxContext,
    *,
    session_secret: str,
    cookie_secure: bool = False,
    session_hours: int = 8,
    request_threads: int = 64,
) -> FastAPI:
    """The inbox app on ``ctx``; the session cookie is signed with ``session_secret``.

    Pages and API calls run on ``request_threads`` threads (anyio's default is 40): at most
    half of them may wait for Kafka at once (:class:`~inbox.publisher.KafkaEventPublisher`),
    so the open list and logins keep their threads while a broker hangs.
    """
    from inbox import api, web

    if len(session_secret) < 32:
        raise InboxError(
            "the session secret must be at least 32 characters; set WIJKHUB_INBOX_SESSION_SECRET"
        )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, request_threads)
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="wijkhub inbox",
        version="1",
        summary="Joint action proposals for case coordinators: list, show, decide.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.inbox = ctx
    ctx.templates.env.filters["label"] = label
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret,
        session_cookie="wijkhub_inbox",
        max_age=session_hours * 3600,
        same_site="strict",
        https_only=cookie_secure,
    )

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for key, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    metrics = ctx.metrics
    metrics.watch(broker_up=ctx.broker_up, store_ready=ctx.ready)

    @app.middleware("http")
    async def count_requests(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = getattr(request.scope.get("route"), "path", None) or "unmatched"
            metrics.requests.labels(route, request.method, str(status)).inc()
            metrics.request_seconds.labels(route).observe(time.perf_counter() - started)

    _install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(web.router)
    return app


def make_templates() -> Jinja2Templates:
    """The page templates (autoescaped)."""
    return Jinja2Templates(directory=_HERE / "templates")
