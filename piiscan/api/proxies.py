"""The client's address, believed from forwarded headers only when a trusted proxy sent them.

Anyone can send ``X-Forwarded-For: 198.51.100.7``; only a reverse proxy in ``PIISCAN_TRUSTED_PROXIES``
may say who the client is. The client is then the right-most hop that is not itself a trusted proxy
(every hop left of it was written by the client and proves nothing). With no trusted proxies (the
default) no header is believed. This middleware is the one place that decides: uvicorn's own proxy
handling, which trusts loopback by default, is switched off (:func:`piiscan.api.serve.uvicorn_config`),
and everything downstream (the report rate limit and dedupe, sessions, logs) reads ``request.client``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any, Literal

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
ForwardedHeader = Literal["x-forwarded-for", "forwarded"]

MAX_HOPS = 32
"""Hops read from the right of a forwarded header: a chain of proxies is never longer, a flood is ignored."""


def parse_address(value: str) -> Address | None:
    """An IP address as a hop or peer spells it (``[v6]:port``, ``v4:port``, IPv4-mapped), else None."""
    text = value.strip().strip('"')
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # v4:port (a bare IPv6 address has two colons or more)
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_key(host: str) -> str:
    """The identity the rate limit and the report dedupe count per: an IPv4 address, or an IPv6 /64 (one
    subscriber gets a whole /64, so per-address counting would give them 2^64 fresh identities)."""
    address = parse_address(host)
    if address is None:
        return host[:100]
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _forwarded_pairs(values: Iterable[str]) -> list[dict[str, str]]:
    """RFC 7239 elements (``for=...;proto=...``), left to right, names lower-cased."""
    elements: list[dict[str, str]] = []
    for value in values:
        for element in value.split(","):
            pairs: dict[str, str] = {}
            for pair in element.split(";"):
                name, sep, content = pair.partition("=")
                if sep:
                    pairs[name.strip().lower()] = content.strip().strip('"')
            elements.append(pairs)
    return elements


class ProxyResolver:
    """Who the client is, given the TCP peer and the request's headers."""

    def __init__(self, trusted: Iterable[str], header: ForwardedHeader = "x-forwarded-for") -> None:
        self.networks: tuple[Network, ...] = tuple(ipaddress.ip_network(n, strict=False) for n in trusted)
        self.header = header

    def trusts(self, address: Address | None) -> bool:
        return address is not None and any(address in net for net in self.networks)

    def resolve(self, peer: str | None, headers: dict[str, list[str]]) -> tuple[str | None, str | None]:
        """The client's address and the scheme it used (None: keep the peer's own); ``headers`` maps
        lower-case names to every value received."""
        peer_address = parse_address(peer) if peer else None
        if not self.networks or not self.trusts(peer_address):
            return peer, None
        if self.header == "forwarded":
            elements = _forwarded_pairs(headers.get("forwarded", []))
            hops = [e.get("for", "") for e in elements]
            protos = [e.get("proto", "") for e in elements]
        else:
            hops = [h for value in headers.get("x-forwarded-for", []) for h in value.split(",")]
            protos = [p for value in headers.get("x-forwarded-proto", []) for p in value.split(",")]
        kept = [(h.strip(), p.strip().lower()) for h, p in _aligned(hops, protos) if h.strip()][-MAX_HOPS:]
        if not kept:
            return peer, None
        chosen = 0
        for index in range(len(kept) - 1, -1, -1):
            if not self.trusts(parse_address(kept[index][0])):
                chosen = index
                break
        hop, proto = kept[chosen]
        address = parse_address(hop)
        client = str(address) if address is not None else hop[:100]
        return client, proto if proto in ("http", "https") else None


def _aligned(hops: list[str], protos: list[str]) -> list[tuple[str, str]]:
    """Each hop with the scheme it used: the same element of ``Forwarded``, the same position of
    ``X-Forwarded-Proto`` when it has one value per hop, else its last value (the nearest proxy's own)."""
    if len(protos) == len(hops):
        return list(zip(hops, protos, strict=True))
    last = protos[-1] if protos else ""
    return [(hop, last) for hop in hops]


class TrustedProxyMiddleware:
    """Rewrites the ASGI scope's client (and scheme) when the peer is a trusted proxy; otherwise the
    forwarded headers are left as mere headers and the peer stays the client."""

    def __init__(self, app: ASGIApp, resolver: ProxyResolver) -> None:
        self.app = app
        self.resolver = resolver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.resolver.networks:
            client = scope.get("client")
            headers: dict[str, list[str]] = {}
            for raw_name, raw_value in scope.get("headers", []):
                name = raw_name.decode("latin-1").lower()
                if name in ("x-forwarded-for", "x-forwarded-proto", "forwarded"):
                    headers.setdefault(name, []).append(raw_value.decode("latin-1"))
            host, proto = self.resolver.resolve(client[0] if client else None, headers)
            if client is not None and host is not None and host != client[0]:
                scope = {**scope, "client": (host, 0)}
            if proto is not None and scope["type"] == "http":
                scope = {**scope, "scheme": proto}
        await self.app(scope, receive, send)


def install(app: Any, trusted: Iterable[str], header: ForwardedHeader = "x-forwarded-for") -> None:
    """Add the middleware to a Starlette/FastAPI app (a no-op pass-through when nothing is trusted)."""
    app.add_middleware(TrustedProxyMiddleware, resolver=ProxyResolver(trusted, header))
