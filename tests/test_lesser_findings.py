"""Lesser findings of issue 16: control characters in names, one key per object, spool files, callback
addresses in IPv6 transition forms. Embedded mode (SQLite, a local bucket folder), no worker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from piiscan.api import create_app
from piiscan.api.serve import embedded_settings
from piiscan.settings import Settings
from piiscan.storage import ControlCharacterError, InvalidKeyError, canonical_key
from piiscan.workers.services import Services, build_services


class Recording:
    def __init__(self) -> None:
        self.scans: list[str] = []

    def scan(self, scan_id: str) -> None:
        self.scans.append(scan_id)

    def rescan(self, scan_id: str) -> None:
        pass

    def deliver(self, delivery_id: str, countdown: float = 0) -> None:
        pass


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Services]]:
    settings = embedded_settings(
        Settings(database_url=f"sqlite:///{tmp_path / 'piiscan.db'}", local_storage_dir=str(tmp_path / "buckets"))
    )
    services = build_services(settings, Recording())  # type: ignore[arg-type]
    services.store.put("uploads", "samples/x.png", b"made-up bytes of an upload")
    headers = {"Authorization": f"Bearer {settings.hook_tokens['demo'].get_secret_value()}"}
    with TestClient(create_app(services=services)) as client:
        yield client, headers, services
    services.db.dispose()


# -- one key per object -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("samples/x.png", "samples/x.png"),
        ("samples/./x.png", "samples/x.png"),
        ("samples//x.png", "samples/x.png"),
        ("./samples///./x.png/", "samples/x.png"),
        ("samples/y/../x.png", "samples/x.png"),
    ],
)
def test_canonical_key_collapses_path_spellings(given: str, canonical: str) -> None:
    assert canonical_key(given) == canonical
    assert canonical_key(given, opaque=True) == given  # S3: a key is an opaque string, a//x is another object


@pytest.mark.parametrize("escaping", ["../x.png", "samples/../../x.png", "a/../../b"])
def test_canonical_key_refuses_leaving_the_bucket(escaping: str) -> None:
    with pytest.raises(InvalidKeyError) as caught:
        canonical_key(escaping)
    assert caught.value.status == 400 and caught.value.code == "invalid_key"


@pytest.mark.parametrize("bad", ["a\x00b", "a\nb", "a\rb", "\x1b[31m", "a\x7fb", "a\x85b"])
def test_canonical_key_refuses_control_characters(bad: str) -> None:
    for opaque in (False, True):
        with pytest.raises(ControlCharacterError) as caught:
            canonical_key(bad, opaque=opaque)
        assert caught.value.code == "control_character" and bad not in caught.value.message


def test_three_spellings_of_one_object_are_one_scan(embedded: tuple[TestClient, dict[str, str], Any]) -> None:
    client, headers, services = embedded
    ids = set()
    for key in ("samples/x.png", "samples/./x.png", "samples//x.png"):
        accepted = client.post("/v1/hook/scans", json={"bucket": "uploads", "key": key}, headers=headers)
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["key"] == "samples/x.png"
        ids.add(accepted.json()["scan_id"])
    event = {
        "Records": [
            {
                "eventName": "s3:ObjectCreated:Put",
                "s3": {"bucket": {"name": "uploads"}, "object": {"key": "samples/.//x.png"}},
            }
        ]
    }
    notified = client.post("/v1/hook/s3-events", json=event, headers=headers)
    assert notified.status_code == 202, notified.text
    ids.update(s["scan_id"] for s in notified.json()["scans"])
    assert len(ids) == 1 and services.dispatcher.scans == list(ids)
    report = {"bucket": "uploads", "key": "samples//./x.png", "category": "abusive", "description": "made up"}
    assert client.post("/v1/reports", json=report).status_code == 201  # the same upload is found


def test_a_key_leaving_the_bucket_is_refused(embedded: tuple[TestClient, dict[str, str], Any]) -> None:
    client, headers, _ = embedded
    answer = client.post("/v1/hook/scans", json={"bucket": "uploads", "key": "../x.png"}, headers=headers)
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_key"


# -- control characters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"bucket": "uploads", "key": "samples/x\x00.png"},
        {"bucket": "uploads", "key": "samples/x\n.png"},
        {"bucket": "upl\x00oads", "key": "samples/x.png"},
        {"bucket": "uploads", "key": "samples/x.png", "version_id": "v\x00"},
        {"bucket": "uploads", "key": "samples/x.png", "etag": "e\x00"},
    ],
)
def test_control_characters_in_the_hook_are_a_typed_400(
    embedded: tuple[TestClient, dict[str, str], Any], body: dict[str, str]
) -> None:
    client, headers, services = embedded
    answer = client.post("/v1/hook/scans", json=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "control_character" and "\x00" not in answer.text
    assert services.dispatcher.scans == []


def test_control_characters_in_events_reports_and_lookups_are_a_typed_400(
    embedded: tuple[TestClient, dict[str, str], Any],
) -> None:
    client, headers, _ = embedded
    record = {"eventName": "s3:ObjectCreated:Put", "s3": {"bucket": {"name": "uploads"}, "object": {"key": "x%00.png"}}}
    answers = [
        client.post("/v1/hook/s3-events", json={"Records": [record]}, headers=headers),
        client.post(
            "/v1/reports", json={"bucket": "uploads", "key": "x\x00", "category": "abusive", "description": "d"}
        ),
        client.post("/v1/reports", json={"url": "s3://uploads/x%00.png", "category": "abusive", "description": "d"}),
        client.get("/v1/scans/abc%00def", headers=headers),
        client.get("/v1/reports/abc%00def"),
        client.get("/v1/scans/abc", params={"x": "\x00"}, headers=headers),
    ]
    for answer in answers:
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] == "control_character"


def test_the_openapi_document_lists_the_400_of_path_parameters(
    embedded: tuple[TestClient, dict[str, str], Any],
) -> None:
    client, _, _ = embedded
    paths = client.get("/openapi.json").json()["paths"]
    assert "400" in paths["/v1/scans/{scan_id}"]["get"]["responses"]
    assert "400" in paths["/v1/reports/{report_id}"]["get"]["responses"]


# -- callback addresses in IPv6 transition forms ----------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "[::7f00:1]",  # IPv4-compatible 127.0.0.1
        "[::127.0.0.1]",
        "[::a9fe:a9fe]",  # IPv4-compatible metadata
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
        "[64:ff9b::7f00:1]",
        "[64:ff9b::10.0.0.5]",
        "[64:ff9b:1::a00:5]",  # local-use NAT64
        "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
        "[2002:a9fe:a9fe::1]",
        "[2002:c0a8:101::1]",  # 6to4 of 192.168.1.1
        "[2606:4700:1::200:5efe:a9fe:a9fe]",  # ISATAP in a global prefix
    ],
)
def test_ipv6_transition_forms_of_private_and_metadata_addresses_are_refused(host: str) -> None:
    from piiscan.workers.webhooks import DestinationNotAllowedError, check_destination

    with pytest.raises(DestinationNotAllowedError):
        check_destination(f"https://{host}/hook", [], [], resolve=False)


@pytest.mark.parametrize(
    ("spelling", "carried"),
    [
        ("::ffff:127.0.0.1", ["127.0.0.1"]),  # IPv4-mapped
        ("::7f00:1", ["127.0.0.1"]),  # IPv4-compatible
        ("64:ff9b::a9fe:a9fe", ["169.254.169.254"]),  # NAT64
        ("2002:7f00:1::", ["127.0.0.1"]),  # 6to4
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", ["65.54.227.120", "127.0.0.1"]),  # Teredo: server, client
        ("fe80::5efe:7f00:1", ["127.0.0.1"]),  # ISATAP
        ("64:ff9b::808:808", ["8.8.8.8"]),
        ("2606:4700:4700::1111", []),  # a plain IPv6 address carries none
        ("::1", []),
    ],
)
def test_the_ipv4_address_each_transition_form_carries(spelling: str, carried: list[str]) -> None:
    """What the filter judges; the public ones stay allowed (the filter does not refuse IPv6 as such)."""
    import ipaddress

    from piiscan.workers.webhooks import DestinationNotAllowedError, check_destination, embedded_ipv4

    assert [str(a) for a in embedded_ipv4(ipaddress.ip_address(spelling))] == carried
    public = all(ipaddress.ip_address(a).is_global for a in carried) and ipaddress.ip_address(spelling).is_global
    if public:
        check_destination(f"https://[{spelling}]/hook", [], [], resolve=False)
    else:
        with pytest.raises(DestinationNotAllowedError):
            check_destination(f"https://[{spelling}]/hook", [], [], resolve=False)


def test_metadata_is_refused_in_a_transition_form_even_when_its_network_is_allowed() -> None:
    from piiscan.workers.webhooks import DestinationNotAllowedError, check_destination

    with pytest.raises(DestinationNotAllowedError, match="metadata"):
        check_destination("https://[64:ff9b::a9fe:a9fe]/hook", ["169.254.0.0/16", "64:ff9b::/96"], [], resolve=False)


# -- spool files --------------------------------------------------------------------------------------

_KILLED_DOWNLOAD = """
import os, signal, sys
from piiscan.storage.base import ObjectInfo, spool
info = ObjectInfo("uploads", "k", 5, None, None)
with spool([b"made-", b"up"], info, 100, sys.argv[1]) as downloaded:
    print(downloaded.path, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_spool_file_of_a_killed_scan_is_swept_at_once_and_a_live_one_never(tmp_path: Path) -> None:
    import subprocess
    import sys

    from piiscan.storage.base import ObjectInfo, remove_stale_spool, spool

    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_DOWNLOAD, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    assert killed.returncode == -9, killed.stderr
    left = Path(killed.stdout.strip())
    assert left.exists()  # SIGKILL ran no finally
    info = ObjectInfo("uploads", "k", 5, None, None)
    with spool([b"made-up"], info, 100, str(tmp_path)) as live:
        # no waiting for twice the task time limit: the dead file goes now, the live download stays
        assert remove_stale_spool(str(tmp_path), grace_s=0) == 1
        assert not left.exists() and live.path.exists() and live.read_bytes() == b"made-up"
    assert not live.path.exists()  # removed by its own finally
