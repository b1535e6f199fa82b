"""Settings handed to a child process through the environment arrive whole."""

from __future__ import annotations

import os

import pytest
from pydantic import SecretStr

from piiscan.settings import Grant, Retention, Settings


def test_as_environment_round_trips_every_changed_field(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Settings(
        buckets=["uploads", "plain"],
        hook_tokens={"acme": SecretStr("h" * 24)},
        reviewer_tokens={"r" * 24: Grant(name="ada", tenants=["acme"])},
        evidence_keys={"k1": SecretStr("e" * 24), "k2": SecretStr("f" * 24)},
        evidence_key_id="k2",
        retention=Retention.model_validate({"audit_days": 400}),
        callback_allowed_networks=["127.0.0.0/8"],
        stop_at_first_critical=True,
        task_max_retries=2,
        task_retry_backoff_s=0.2,
    )
    env = original.as_environment()
    assert env["PIISCAN_STOP_AT_FIRST_CRITICAL"] == "true" and "PIISCAN_OCR_LANGUAGES" not in env  # defaults stay out
    for key in [k for k in os.environ if k.startswith("PIISCAN_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    copy = Settings(_env_file=None)  # type: ignore[call-arg]
    for name in type(original).model_fields:
        mine, theirs = getattr(original, name), getattr(copy, name)
        if isinstance(mine, dict):
            mine = {k: v.get_secret_value() if isinstance(v, SecretStr) else v for k, v in mine.items()}
            theirs = {k: v.get_secret_value() if isinstance(v, SecretStr) else v for k, v in theirs.items()}
        assert mine == theirs, name
