"""Forwarded headers are believed only from trusted proxies; uvicorn's own loopback trust is off."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from piiscan.api import proxies
from piiscan.api.proxies import ProxyResolver, client_key, parse_address
from piiscan.api.serve import uvicorn_config
from piiscan.settings import Settings


def _echo_app(trusted: list[str], header: proxies.ForwardedHeader = "x-forwarded-for") -> FastAPI:
    app = FastAPI()

    @app.get("/who")
    def who(request: Request) -> dict[str, Any]:
        return {"client": request.client.host if request.client else None, "scheme": request.url.scheme}

    proxies.install(app, trusted, header)
    return app


def _who(app: Any, peer: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    with TestClient(app, client=(peer, 40000)) as client:
        response = client.get("/who", headers=headers or {})
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


def test_uvicorn_config_trusts_no_forwarded_header_from_loopback() -> None:
    """The attack: behind uvicorn's defaults, a local peer's X-Forwarded-For became the client."""
    config = uvicorn_config(_echo_app([]), "127.0.0.1", 8000)
    assert config.proxy_headers is False and config.forwarded_allow_ips == []
    config.load()
    seen = {_who(config.loaded_app, "127.0.0.1", {"X-Forwarded-For": f"198.51.100.{i}"})["client"] for i in range(10)}
    assert seen == {"127.0.0.1"}


def test_no_trusted_proxies_means_the_peer_is_the_client() -> None:
    app = _echo_app([])
    spoofed = {"X-Forwarded-For": "198.51.100.7", "Forwarded": "for=198.51.100.8", "X-Forwarded-Proto": "https"}
    assert _who(app, "127.0.0.1", spoofed) == {"client": "127.0.0.1", "scheme": "http"}
    assert _who(app, "203.0.113.5", spoofed)["client"] == "203.0.113.5"


def test_an_untrusted_peer_cannot_pose_as_anyone_even_when_proxies_are_configured() -> None:
    app = _echo_app(["10.0.0.0/8"])
    assert _who(app, "203.0.113.5", {"X-Forwarded-For": "198.51.100.7"})["client"] == "203.0.113.5"


def test_a_trusted_proxy_names_the_right_most_untrusted_hop() -> None:
    app = _echo_app(["10.0.0.0/8", "192.0.2.1"])
    # the client wrote "1.2.3.4" itself; the outer proxy (10.1.1.1) saw 198.51.100.7; 192.0.2.1 is a trusted hop
    chain = {"X-Forwarded-For": "1.2.3.4, 198.51.100.7, 192.0.2.1", "X-Forwarded-Proto": "https"}
    assert _who(app, "10.1.1.1", chain) == {"client": "198.51.100.7", "scheme": "https"}
    # several header lines count as one list, in order
    many = [("X-Forwarded-For", "1.2.3.4"), ("X-Forwarded-For", "198.51.100.9")]
    with TestClient(app, client=("10.1.1.1", 1)) as client:
        assert client.get("/who", headers=many).json()["client"] == "198.51.100.9"
    # every hop trusted: the left-most is the client; no header at all: the proxy itself
    assert _who(app, "10.1.1.1", {"X-Forwarded-For": "10.9.9.9, 10.2.2.2"})["client"] == "10.9.9.9"
    assert _who(app, "10.1.1.1")["client"] == "10.1.1.1"
    # only the configured header is read: a Forwarded header slipped in by the client changes nothing
    assert _who(app, "10.1.1.1", {"Forwarded": "for=1.2.3.4", "X-Forwarded-For": "198.51.100.7"})["client"] == (
        "198.51.100.7"
    )


def test_forwarded_header_rfc7239() -> None:
    app = _echo_app(["10.0.0.0/8"], "forwarded")
    value = 'for=1.2.3.4, for="[2001:db8:cafe::17]:4711";proto=https, for=10.3.3.3'
    assert _who(app, "10.1.1.1", {"Forwarded": value}) == {"client": "2001:db8:cafe::17", "scheme": "https"}
    assert _who(app, "10.1.1.1", {"X-Forwarded-For": "198.51.100.7"})["client"] == "10.1.1.1"


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("198.51.100.7:5555", "198.51.100.7"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ('"[2001:db8::1]"', "2001:db8::1"),
        ("unknown", None),
        ("_hidden", None),
    ],
)
def test_hop_spellings(spelling: str, address: str | None) -> None:
    parsed = parse_address(spelling)
    assert (str(parsed) if parsed is not None else None) == address


def test_client_key_counts_ipv6_per_64_and_mapped_ipv4_as_ipv4() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:198.51.100.7") == client_key("198.51.100.7") == "198.51.100.7"
    assert client_key("testclient") == "testclient"


def test_resolver_ignores_a_flood_of_hops_beyond_the_limit() -> None:
    resolver = ProxyResolver(["10.0.0.0/8"])
    hops = ", ".join(["10.0.0.1"] * 1000)
    client, _ = resolver.resolve("10.1.1.1", {"x-forwarded-for": [hops]})
    assert client == "10.0.0.1"


def test_trusted_proxies_setting_is_validated() -> None:
    assert Settings(trusted_proxies=[" 10.0.0.0/8", "192.0.2.1"]).trusted_proxies == ["10.0.0.0/8", "192.0.2.1"]
    with pytest.raises(ValueError, match="not-an-ip"):
        Settings(trusted_proxies=["not-an-ip"])
