"""The FastAPI application factory.

``create_app(settings)`` refuses a configuration that is unsafe outside the embedded mode
(default secrets, no tokens, no buckets, SQLite). The database is migrated at start when
``PIISCAN_AUTO_MIGRATE`` is on.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text

from piiscan.api import proxies
from piiscan.api.deps import ServicesDep
from piiscan.api.errors import (
    ApiError,
    BodySizeLimit,
    ControlCharacterGuard,
    document_body_errors,
    error_responses,
    install_handlers,
)
from piiscan.api.ratelimit import TokenBucket
from piiscan.api.routers import admin, hook, moderation, pages, privacy, reports, scans
from piiscan.privacy import logs
from piiscan.settings import Settings, get_settings
from piiscan.store import review
from piiscan.workers.services import Services, build_services, install_services

log = logging.getLogger("piiscan.api")


class ConfigurationError(RuntimeError):
    """The settings are not fit to run the service; the message lists every problem."""


def check_service_settings(settings: Settings, for_api: bool = True) -> None:
    problems = settings.service_problems(for_api)
    if problems:
        raise ConfigurationError("piiscan will not start the service: " + "; ".join(problems))


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or (services.settings if services else get_settings())
    check_service_settings(settings)
    logs.install(settings.log_json)  # the last line of defence: every log record of this process is redacted
    for warning in settings.key_warnings():
        log.warning("%s", warning)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        if owned:
            dispatcher = None
            if settings.embedded:
                from piiscan.workers.dispatch import ThreadDispatcher

                dispatcher = ThreadDispatcher()
            app.state.services = build_services(settings, dispatcher)
            if dispatcher is not None:  # warm the engines once, before the first upload
                dispatcher.executor.submit(app.state.services.scanner)
        else:
            app.state.services = services
        with app.state.services.db.session() as session:  # reviewer and admin tokens, stored hashed
            review.sync_principals(session, settings.key_for("token"), settings.reviewer_tokens, settings.admin_tokens)
        if settings.embedded:
            install_services(app.state.services)  # the in-process tasks use the API's services
        try:
            yield
        finally:
            if owned:
                shutdown = getattr(app.state.services.dispatcher, "shutdown", None)
                if shutdown is not None:
                    shutdown()
                app.state.services.db.dispose()

    app = FastAPI(
        title="piiscan",
        version="1",
        summary="Scans uploads for personal data; called by the upload pipeline.",
        description=(
            "Authenticate with `Authorization: Bearer <tenant hook token>`. Scans are answered at once "
            "with an id; the verdict is POSTed to the callback URL signed with "
            "`X-Piiscan-Signature: t=<unix>,v1=<hex HMAC-SHA256 of '<t>.<body>'>`."
        ),
        lifespan=lifespan,
    )
    install_handlers(app, settings.retry_after_s)
    document_body_errors(app)
    app.add_middleware(BodySizeLimit, limit=settings.max_request_bytes)
    app.add_middleware(ControlCharacterGuard)  # a NUL in a path or query: a typed 400, never a 500
    proxies.install(app, settings.trusted_proxies, settings.forwarded_header)  # request.client: the real client
    app.include_router(hook.router)
    app.include_router(scans.router)
    app.include_router(moderation.router)
    app.include_router(reports.router)
    app.include_router(admin.router)
    app.include_router(privacy.router)
    app.include_router(pages.router)
    app.add_exception_handler(pages.LoginRequired, pages.login_redirect)
    app.add_exception_handler(pages.CrossSiteRefused, pages.refused_page)
    app.state.report_limiter = TokenBucket(settings.report_burst, settings.report_rate_per_minute / 60.0)

    @app.get("/healthz", tags=["health"], summary="Liveness and database reachability")
    def healthz(services: ServicesDep) -> JSONResponse:
        try:
            with services.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get(
        "/metrics",
        tags=["health"],
        summary="Prometheus counters (aggregates only: no ids, keys or values)",
        response_class=PlainTextResponse,
        responses={
            200: {"content": {"text/plain; version=0.0.4": {"schema": {"type": "string"}}}},
            **error_responses(401),
        },
    )
    def metrics(services: ServicesDep, request: Request) -> PlainTextResponse:
        from piiscan.store.stats import metrics as render

        expected = services.settings.metrics_token
        if expected is not None:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
                raise ApiError(401, "unauthorized", "/metrics wants the metrics token", {"WWW-Authenticate": "Bearer"})

        with services.db.session() as session:
            body = render(session)
        return PlainTextResponse(body, media_type="text/plain; version=0.0.4")

    if settings.embedded:
        _add_demo_receiver(app, settings)
    return app


def _add_demo_receiver(app: FastAPI, settings: Settings) -> None:
    """Embedded mode only: a webhook receiver to see signed deliveries without a platform."""
    from piiscan.workers.webhooks import SIGNATURE_HEADER, verify

    received: list[dict[str, Any]] = []

    @app.post("/demo/webhook", tags=["demo"], include_in_schema=False)
    async def demo_webhook(request: Request) -> JSONResponse:
        body = await request.body()
        ok = verify(settings.key_for("webhook"), request.headers.get(SIGNATURE_HEADER), body)
        if not ok:
            return JSONResponse({"detail": "bad signature"}, status_code=401)
        doc = json.loads(body)
        received.append(
            {"scan_id": doc.get("scan_id"), "event": doc.get("event"), "verdict": doc.get("verdict"), "signed": ok}
        )
        return JSONResponse({"ok": True})

    @app.get("/demo/webhook", tags=["demo"], include_in_schema=False)
    def demo_received() -> JSONResponse:
        return JSONResponse(received[-100:])
