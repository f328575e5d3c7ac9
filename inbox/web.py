"""The HTML pages: log in, the open list, a proposal with its decision form, log out.

Every form carries the session's CSRF token; every page works without JavaScript.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from inbox.app import InboxContext, error_response
from inbox.coordinators import Coordinator
from inbox.metrics import CONTENT_TYPE
from inbox.security import (
    CSRF_FIELD,
    LoginBusyError,
    LoginThrottledError,
    csrf_token,
    csrf_valid,
)
from inbox.service import DecisionInvalidError
from inbox.throttle import address_key
from schemas.models import Decision, DecisionOutcome

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_FLASH = "flash"


def _ctx(request: Request) -> InboxContext:
    ctx: InboxContext = request.app.state.inbox
    return ctx


def _render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    ctx = _ctx(request)
    context.setdefault("coordinator", ctx.sessions.current(request.session))
    context["csrf_field"] = CSRF_FIELD
    context["csrf_token"] = csrf_token(request.session)
    return ctx.templates.TemplateResponse(request, name, context, status_code=status)


def _csrf_failed(request: Request) -> Response:
    return error_response(
        request,
        403,
        "Dit formulier is verlopen of kwam niet van deze site. Open de pagina opnieuw en "
        "probeer het nog eens.",
    )


def _login_redirect() -> Response:
    return RedirectResponse("/login", status_code=303)


@router.get("/login")
def login_page(request: Request) -> Response:
    """The login form."""
    return _render(request, "login.html", coordinator=None, error=None)


def _wait_text(seconds: int) -> str:
    if seconds == 1:
        return "1 seconde"
    if seconds < 120:
        return f"{seconds} seconden"
    return f"{math.ceil(seconds / 60)} minuten"


@router.post("/login")
async def login(
    request: Request,
    coordinator_id: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Check the credentials (throttled, see docs/inbox.md) and start a session."""
    ctx = _ctx(request)
    if not csrf_valid(request.session, csrf):
        return _csrf_failed(request)
    address = address_key(request.client.host if request.client else None)
    try:
        found = await ctx.logins.authenticate(coordinator_id, password, address)
    except LoginThrottledError as exc:
        wait = _wait_text(exc.retry_after_s)
        response = _render(
            request,
            "login.html",
            429,
            coordinator=None,
            error=f"Te veel mislukte pogingen. Probeer het over {wait} opnieuw.",
        )
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    except LoginBusyError as exc:
        response = _render(
            request,
            "login.html",
            503,
            coordinator=None,
            error="Het is even te druk om in te loggen. Probeer het zo opnieuw.",
        )
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    if found is None:
        return _render(
            request,
            "login.html",
            401,
            coordinator=None,
            error="Accountnaam of wachtwoord klopt niet.",
        )
    ctx.sessions.login(request.session, found)
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    """End the session."""
    if not csrf_valid(request.session, csrf):
        return _csrf_failed(request)
    _ctx(request).sessions.logout(request.session)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _who(request: Request) -> Coordinator | None:
    return _ctx(request).sessions.current(request.session)


@router.get("/")
def inbox(request: Request) -> Response:
    """The coordinator's open proposals, most urgent first."""
    coordinator = _who(request)
    if coordinator is None:
        return _login_redirect()
    rows = _ctx(request).service.open_for(coordinator)
    flash = request.session.pop(_FLASH, None)
    return _render(
        request,
        "inbox.html",
        coordinator=coordinator,
        rows=rows,
        flash=flash,
        ready=_ctx(request).ready(),
        broker_up=_ctx(request).broker_up(),
    )


def _proposal_page(
    request: Request, coordinator: Coordinator, proposal_id: UUID, status: int, error: str | None
) -> Response:
    service = _ctx(request).service
    detail = service.view(coordinator, proposal_id)
    return _render(
        request,
        "proposal.html",
        status,
        coordinator=coordinator,
        detail=detail,
        overdue=service.is_overdue(detail),
        decisions=list(Decision),
        outcomes=list(DecisionOutcome),
        error=error,
    )


@router.get("/voorstellen/{proposal_id}")
def proposal(request: Request, proposal_id: UUID) -> Response:
    """One proposal: why it was made, and the decision form (the view is audited)."""
    coordinator = _who(request)
    if coordinator is None:
        return _login_redirect()
    return _proposal_page(request, coordinator, proposal_id, 200, None)


@router.post("/voorstellen/{proposal_id}/besluit")
def decide(
    request: Request,
    proposal_id: UUID,
    decision: Annotated[Decision | None, Form()] = None,
    outcome: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Record the decision, publish it, and go back to the open list."""
    coordinator = _who(request)
    if coordinator is None:
        return _login_redirect()
    if not csrf_valid(request.session, csrf):
        return _csrf_failed(request)
    message = "Kies een besluit; kies bij 'Afgesloten' ook een uitkomst, en alleen dan."
    if decision is None or (outcome and outcome not in set(DecisionOutcome)):
        return _proposal_page(request, coordinator, proposal_id, 422, message)
    chosen = DecisionOutcome(outcome) if outcome else None
    try:
        _, new = _ctx(request).service.decide(coordinator, proposal_id, decision, chosen)
    except DecisionInvalidError:
        return _proposal_page(request, coordinator, proposal_id, 422, message)
    note = "Besluit vastgelegd." if new else "Dit besluit was al vastgelegd."
    request.session[_FLASH] = note
    return RedirectResponse("/", status_code=303)


@router.get("/healthz")
async def health(request: Request) -> Response:
    """Readiness, answered at once from what the inbox already knows: 200 when the store has
    caught up and Kafka answers, else 503 with what is wrong (the pages keep serving what
    they can: the open list works without Kafka)."""
    ctx = _ctx(request)
    store, broker = ctx.ready(), ctx.broker_up()
    body = {
        "status": "ready" if store and broker else "degraded",
        "store": "ready" if store else "not-ready",
        "broker": "up" if broker else "down",
    }
    return JSONResponse(body, status_code=200 if store and broker else 503)


@router.get("/metrics")
async def prometheus_metrics(request: Request) -> Response:
    """The inbox's metrics in Prometheus' text format (counts by route template, no ids;
    let the TLS proxy in front keep it from the outside)."""
    metrics = _ctx(request).metrics
    return Response(metrics.render(), headers={"Content-Type": CONTENT_TYPE})


@router.get("/livez")
async def liveness() -> dict[str, str]:
    """The process serves requests (for a liveness probe: a broker outage must not restart
    the inbox)."""
    return {"status": "alive"}
