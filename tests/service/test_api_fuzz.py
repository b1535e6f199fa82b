"""Hostile input against the API, generated from its own OpenAPI document (schemathesis).

The real app in-process (the session's API on PostgreSQL, moto and Redis), with valid tokens so
the requests get past authentication: hook routes with the tenant's hook token, the others with an
admin's. Every answer must be documented (status, content type, body schema) and none may be a 5xx.
``make test`` runs a bounded number of examples per operation; ``make fuzz`` runs many more
(``PIISCAN_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from piiscan.settings import Settings

from .conftest import ADMIN_TOKEN, TOKEN

EXAMPLES = int(os.environ.get("PIISCAN_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
"""No 5xx, and every answer documented. (``negative_data_rejection`` is left out: the test replaces the
generated Authorization header with a real token, which that check counts as accepting invalid data.)"""


def _listing_app() -> FastAPI:
    """The app as the service builds it, for its OpenAPI document only (nothing connects)."""
    from piiscan.api import create_app

    settings = Settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
        buckets=["uploads", "plain"],
        hook_tokens={"acme": SecretStr(TOKEN)},
        webhook_secret=SecretStr("y" * 24),
    )
    return create_app(settings)


LISTING = _listing_app()
schema = schemathesis.openapi.from_dict(LISTING.openapi())
schema.app = LISTING  # in-process (ASGI) calls; each test sends them to the live app below


@pytest.fixture(scope="session")
def live_app(api: TestClient) -> FastAPI:
    """A second app on the session API's services (PostgreSQL, moto, the broker); schemathesis runs its lifespan."""
    from piiscan.api import create_app

    return create_app(services=api.app.state.services)  # type: ignore[attr-defined]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 50,  # reproducible in CI, exploratory in `make fuzz`
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_hostile_requests_as_documented(case: Any, live_app: FastAPI) -> None:
    live_app.state.report_limiter.reset()
    hook = case.path.startswith(("/v1/hook", "/v1/scans"))
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {TOKEN if hook else ADMIN_TOKEN}"}
    case.call_and_validate(checks=CHECKS, app=live_app)
