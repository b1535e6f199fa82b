"""Errors the API answers with: a status, a stable code and a message that says what to do.

This is the one boundary where typed errors become HTTP answers: the API's own, the object
store's, and a database that is briefly away (503 with ``Retry-After``, so the platform sends the
hook again instead of losing the upload).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
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

    for error in DATABASE_ERRORS:
        app.add_exception_handler(error, _database_error)


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
