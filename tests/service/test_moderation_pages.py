"""Reviewer pages without a browser: session login, queue, item, redacted preview, logged reveal, decide."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from .pages_helpers import bearer_token, csrf_token

H = dict[str, dict[str, str]]


def _page_with_red_box() -> bytes:
    """White, with red where the first synthetic finding's box is (10,10 200x30) and blue elsewhere."""
    image = Image.new("RGB", (400, 200), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 210, 40), fill="red")
    draw.rectangle((300, 150, 380, 190), fill="blue")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_pages_login_queue_item_preview_reveal_decide(
    api: TestClient,
    s3: Any,
    role_headers: H,
    flagged_scan: Callable[..., str],
    item_of: Callable[[str], str | None],
    unique_key: Callable[[str], str],
    no_raw: Callable[..., None],
) -> None:
    key = unique_key("page.png")
    put = s3.put_object(Bucket="uploads", Key=key, Body=_page_with_red_box())
    item_id = item_of(flagged_scan(key=key, version_id=put["VersionId"], entities=("PERSON",), ip="192.0.2.44"))
    browser = TestClient(api.app)
    assert browser.get("/review", follow_redirects=False).headers["location"] == "/review/login"
    assert browser.post("/review/login", data={"token": bearer_token(role_headers["hook"])}).status_code == 401
    logged_in = browser.post(
        "/review/login", data={"token": bearer_token(role_headers["reviewer"])}, follow_redirects=False
    )
    assert logged_in.status_code == 303 and "httponly" in logged_in.headers["set-cookie"].lower()
    assert "samesite=strict" in logged_in.headers["set-cookie"].lower()
    queue = browser.get("/review")
    assert queue.status_code == 200 and f'href="/review/items/{item_id}"' in queue.text
    item = browser.get(f"/review/items/{item_id}")
    assert item.status_code == 200 and "[PERSON]" in item.text and "t.rule" in item.text
    assert 'id="revealed"' not in item.text
    no_raw(queue.text, item.text)

    preview = browser.get(f"/review/items/{item_id}/preview.png?page=1")
    assert preview.status_code == 200 and preview.headers["cache-control"] == "no-store"
    image = Image.open(io.BytesIO(preview.content)).convert("RGB")
    assert image.getpixel((100, 25)) == (0, 0, 0)  # the finding box is black
    assert image.getpixel((340, 170)) == (0, 0, 255)  # the rest is the page
    assert browser.get(f"/review/items/{item_id}/preview.png?page=2").status_code == 404

    csrf = csrf_token(item.text)
    revealed = browser.post(
        f"/review/items/{item_id}/reveal", data={"reason": "check the box is a name", "page": 1, "csrf_token": csrf}
    )
    assert revealed.status_code == 200 and 'id="revealed"' in revealed.text
    audit = api.get("/v1/admin/audit", headers=role_headers["admin"], params={"target_id": item_id}).json()
    assert (audit["entries"][0]["action"], audit["entries"][0]["actor"]) == ("reveal", "ada")
    assert audit["entries"][0]["detail"]["reason"] == "check the box is a name"

    decided = browser.post(
        f"/review/items/{item_id}/decide", data={"decision": "report", "reason": "doxxing", "csrf_token": csrf}
    )
    assert decided.status_code == 200 and "reported by ada" in decided.text
    packages = api.get("/v1/admin/packages", headers=role_headers["admin"], params={"item_id": item_id}).json()
    assert len(packages["packages"]) == 1
    assert browser.get(f"/review/packages/{packages['packages'][0]['id']}").status_code == 403  # reviewer

    other = TestClient(api.app)
    other.post("/review/login", data={"token": bearer_token(role_headers["other_reviewer"])})
    assert other.get(f"/review/items/{item_id}").status_code == 404
    assert other.get(f"/review/items/{item_id}/preview.png").status_code == 404
    other_csrf = csrf_token(other.get("/review").text)
    reveal = {"reason": "curious", "csrf_token": other_csrf}
    assert other.post(f"/review/items/{item_id}/reveal", data=reveal).status_code == 404
    admin = TestClient(api.app)
    admin.post("/review/login", data={"token": bearer_token(role_headers["admin"])})
    page = admin.get(f"/review/packages/{packages['packages'][0]['id']}")
    assert page.status_code == 200 and "192.0.2.44" in page.text
    assert browser.post("/review/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert browser.get("/review", follow_redirects=False).status_code == 303
