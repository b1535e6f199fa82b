"""Headless Chromium (Debian's ``chromium``, driven by Playwright) against the real API over HTTP:
log in as a reviewer, open the queue and an uploaded letter's item, see the redacted preview,
report it with the keyboard, and find the disclosure package. Saves a screenshot of the item page
to ``test-artifacts/review-item.png``."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from piiscan.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
H = dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def live_url(service_settings: Settings, db: Any) -> Iterator[str]:
    """The API served by uvicorn on a free loopback port, in a thread of this process."""
    import uvicorn

    from piiscan.api import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(service_settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = 300
    while not server.started and deadline:
        threading.Event().wait(0.1)
        deadline -= 1
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


def test_reviewer_reports_an_item_in_chromium(
    live_url: str,
    api: TestClient,
    s3: Any,
    worker: str,
    role_headers: H,
    item_of: Callable[[str], str | None],
    wait: Callable[..., Any],
    unique_key: Callable[[str], str],
    no_raw: Callable[..., None],
) -> None:
    from playwright import sync_api

    # make test installs it (scripts/setup-system.sh); a missing browser is a failure, not a skip
    assert Path(CHROMIUM).exists(), "Debian's chromium is not installed: apt-get install chromium"
    key = unique_key("letter.png")
    put = s3.put_object(Bucket="uploads", Key=key, Body=(SAMPLES / "letter.png").read_bytes())
    hook = {"bucket": "uploads", "key": key, "version_id": put["VersionId"], "uploader": {"id": "u-77"}}
    scan_id = api.post("/v1/hook/scans", json=hook, headers=role_headers["hook"]).json()["scan_id"]
    item_id = wait(lambda: item_of(scan_id), "the review item of the scanned letter")
    token = role_headers["reviewer"]["Authorization"].removeprefix("Bearer ")

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{live_url}/review")
            assert page.url.endswith("/review/login")
            page.fill("#token", token)
            page.click("#login")
            page.wait_for_url(f"{live_url}/review")
            page.click(f'a[href="/review/items/{item_id}"]')
            page.wait_for_url(f"{live_url}/review/items/{item_id}")
            preview = page.locator("#preview-1")
            preview.wait_for()
            page.wait_for_function("document.getElementById('preview-1').naturalWidth > 0")
            assert page.locator("#revealed").count() == 0
            assert "EMAIL_ADDRESS" in page.locator("#findings").inner_text()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "review-item.png"), full_page=True)
            no_raw(page.content())
            page.fill("#reason", "Publishes a third person's address and phone.")
            page.keyboard.press("Escape")
            with page.expect_navigation():
                page.keyboard.press("p")
            assert page.locator("#status").inner_text() == "reported"
            assert "reported by ada" in page.locator("#decisions").inner_text()
            no_raw(page.content())
        finally:
            browser.close()
    packages = api.get("/v1/admin/packages", headers=role_headers["admin"], params={"item_id": item_id}).json()
    assert len(packages["packages"]) == 1
    package = api.get(f"/v1/admin/packages/{packages['packages'][0]['id']}", headers=role_headers["admin"]).json()
    assert package["decision"]["decision"] == "reported" and package["uploader"]["account_id"] == "u-77"
    assert (ARTIFACTS / "review-item.png").stat().st_size > 10_000
