"""Errors the API answers with: a status, a stable code and a message that says what to do.

This is the one boundary where typed errors become HTTP answers: the API's own, the object
store's, and a database that is briefly away (503 with ``Retry-After``, so the platform sends the
hook again instead of losing the upload).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote_plus

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from piiscan.storage import StorageError, StorageUnavailableError

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        super().__init__(message)


_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing or unknown token",
    403: "The token's role may not do this",
    404: "Not found (or not in the caller's tenants)",
    409: "Conflicts with the current state",
    413: "The request body is larger than PIISCAN_MAX_REQUEST_BYTES",
    429: "Too many requests from this address (Retry-After)",
    503: "The database or the object store is briefly unavailable (Retry-After)",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the typed errors a router answers with (413 and 503 can happen anywhere)."""
    from piiscan.api.schemas import ErrorOut

    wanted = sorted({*statuses, 413, 503})
    return {status: {"model": ErrorOut, "description": _DESCRIPTIONS[status]} for status in wanted}


_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 415: "unsupported_media_type"}


def _body(code: str, message: str) -> dict[str, str]:
    return {"code": code, "detail": message}


DATABASE_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
"""The database is unreachable or its pool is exhausted: transient, the caller should retry."""


def install_handlers(app: FastAPI, retry_after_s: int = 5) -> None:
    retry = {"Retry-After": str(retry_after_s)}

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(_body(exc.code, exc.message), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(StorageError)
    async def _storage_error(_: Request, exc: StorageError) -> JSONResponse:
        headers = retry if isinstance(exc, StorageUnavailableError) else None
        return JSONResponse(_body(exc.code, exc.message), status_code=exc.status, headers=headers)

    async def _database_error(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable during %s %s (%s)", request.method, request.url.path, type(exc).__name__)
        message = "The database is briefly unavailable; nothing was recorded. Send the request again after Retry-After."
        return JSONResponse(_body("database_unavailable", message), status_code=503, headers=retry)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Starlette's own errors (an unparsable body, an unknown path) in the same shape as ours."""
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return JSONResponse(_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)

    for error in DATABASE_ERRORS:
        app.add_exception_handler(error, _database_error)

    @app.exception_handler(sa_exc.DataError)
    async def _data_error(request: Request, exc: sa_exc.DataError) -> JSONResponse:
        """A NUL in a free-text field (a description, a reason) that PostgreSQL cannot store: the caller's
        input, so a typed 400; any other data error is a bug and stays a 500."""
        if "NUL" not in str(exc.orig) and "0x00" not in str(exc.orig):
            raise exc
        return JSONResponse(_body("control_character", NUL_MESSAGE), status_code=400)

    @app.exception_handler(ValueError)
    async def _value_error(request: Request, exc: ValueError) -> JSONResponse:
        """``embedded null byte`` from a filesystem or OS call fed a request value: a typed 400, not a 500."""
        if "null byte" not in str(exc) and "null character" not in str(exc):
            raise exc
        return JSONResponse(_body("control_character", NUL_MESSAGE), status_code=400)


NUL_MESSAGE = "The request contains a NUL or other control character where none may be: refused"


def _has_control(text: str) -> bool:
    return any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)


class ControlCharacterGuard:
    """Refuse a path or query string holding a control character (``/v1/scans/%00``) with a typed 400
    before any route runs: ids and names never contain one, and a NUL would reach the database."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = unquote_plus(scope.get("query_string", b"").decode("latin-1"), encoding="latin-1")
            if _has_control(scope.get("path", "")) or _has_control(query):
                response = JSONResponse(_body("control_character", NUL_MESSAGE), status_code=400)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodySizeLimit:
    """Refuse request bodies over ``limit`` bytes with a typed 413, by Content-Length or while streaming.

    The API only ever receives addresses and small JSON documents; a large body is a mistake or an attack
    and is not read into memory."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > self.limit
            except ValueError:
                too_large = False
            if too_large:
                await self._refuse(scope, receive, send)
                return
        received = 0
        started = refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit and not started:
                    # answer now and tell the app the client went away: it stops reading, its answer is dropped
                    refused = True
                    await self._refuse(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception:
            if not refused:  # the app's own error: not ours to hide
                raise

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"The request body is larger than {self.limit} bytes (PIISCAN_MAX_REQUEST_BYTES)."
        response = JSONResponse(_body("request_too_large", message), status_code=413, headers={"Connection": "close"})
        await response(scope, receive, send)


def document_body_errors(app: FastAPI) -> None:
    """Say in the OpenAPI document that every operation with a body may answer 400 ``bad_request``.

    Starlette refuses a body it cannot parse (not JSON, not a form) with a 400 before any handler runs;
    that answer is in the ``{code, detail}`` shape (``_http_error``) and belongs in the contract."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                if not isinstance(operation, dict):
                    continue
                if "requestBody" in operation or operation.get("parameters"):  # ControlCharacterGuard: 400 too
                    operation.setdefault("responses", {}).setdefault(
                        "400",
                        {
                            "description": _DESCRIPTIONS[400],
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
                        },
                    )
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
