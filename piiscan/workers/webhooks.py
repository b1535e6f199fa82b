"""Signed webhooks.

Every call carries ``X-Piiscan-Signature: t=<unix seconds>,v1=<hex>`` where ``hex`` is
HMAC-SHA256 with the webhook secret over ``<t>.<raw body>``. A receiver recomputes it,
compares in constant time and refuses timestamps older than a few minutes (replays).
``X-Piiscan-Event`` names the event and ``X-Piiscan-Delivery`` is the delivery id (the same
on every retry, for the receiver's own dedupe).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

SIGNATURE_HEADER = "X-Piiscan-Signature"
EVENT_HEADER = "X-Piiscan-Event"
DELIVERY_HEADER = "X-Piiscan-Delivery"
DEFAULT_TOLERANCE_S = 300


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value for ``body`` at ``timestamp`` (now by default)."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(
    secret: str, header: str | None, body: bytes, *, tolerance_s: int = DEFAULT_TOLERANCE_S, now: float | None = None
) -> bool:
    """True when ``header`` is a valid, fresh signature of ``body``."""
    if not header:
        return False
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(name, []).append(value)
    try:
        t = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - t) > tolerance_s:
        return False
    expected = sign(secret, body, t).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", []))


class ReplayGuard:
    """A receiver's memory of the signatures it accepted, for as long as they would pass the window.

    ``verify`` alone accepts the same signed request again within the tolerance; a receiver that
    keeps one of these refuses the second copy. It is in-memory: one per receiving process."""

    def __init__(self, secret: str, tolerance_s: int = DEFAULT_TOLERANCE_S) -> None:
        self.secret = secret
        self.tolerance_s = tolerance_s
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def accept(self, header: str | None, body: bytes, *, now: float | None = None) -> bool:
        """True once for each valid, fresh signature; False for a bad, stale or replayed one."""
        current = time.time() if now is None else now
        if not verify(self.secret, header, body, tolerance_s=self.tolerance_s, now=current):
            return False
        assert header is not None
        fingerprint = hashlib.sha256(header.encode() + b"\n" + body).hexdigest()
        with self._lock:
            horizon = current - self.tolerance_s
            for key in [k for k, t in self._seen.items() if t < horizon]:
                del self._seen[key]
            if fingerprint in self._seen:
                return False
            self._seen[fingerprint] = float(header.split("t=", 1)[1].split(",", 1)[0])
        return True


class DestinationNotAllowedError(ValueError):
    """A callback URL that points where piiscan must not send requests (metadata, private networks)."""


class DestinationUnresolvedError(DestinationNotAllowedError):
    """The callback host does not resolve (now): refused at the hook, a retryable failure at delivery."""


ALWAYS_DENIED = tuple(
    ipaddress.ip_network(n) for n in ("169.254.169.254/32", "fd00:ec2::254/128", "100.100.100.200/32")
)
"""Cloud metadata endpoints: refused even when a network that holds them is allowed."""


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


NAT64 = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(address: Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and may reach: IPv4-mapped (``::ffff:a.b.c.d``),
    IPv4-compatible (``::7f00:1``), NAT64 (``64:ff9b::/96``, and the local-use ``64:ff9b:1::/48``),
    6to4 (``2002:AABB:CCDD::``), Teredo (``2001:0::/32``, the client is the inverted last 32 bits) and
    ISATAP (``...:0:5efe:a.b.c.d``). A gateway on the path turns each into a packet to that IPv4 address."""
    if isinstance(address, ipaddress.IPv4Address):
        return []
    found: list[ipaddress.IPv4Address] = []
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address in IPV4_COMPATIBLE and int(address) > 1:  # not :: nor ::1 (judged as IPv6 themselves)
        found.append(low32)
    if address in NAT64 or address in NAT64_LOCAL:
        found.append(low32)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        server, client = address.teredo
        found.extend((server, client))
    if (int(address) >> 32) & 0xFDFFFFFF == 0x00005EFE:  # ISATAP interface id [02]00:5efe
        found.append(low32)
    return found


def _plain(address: Address) -> Address:
    """An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is judged as the IPv4 address it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _denied_by_default(address: Address) -> bool:
    return not address.is_global or address.is_multicast


def check_destination(
    url: str,
    allowed_networks: Iterable[str] = (),
    allowed_hosts: Iterable[str] = (),
    resolve: bool = True,
) -> None:
    """Refuse a callback URL whose host is, or resolves to, a non-public address not allowed by the settings.

    Called when the hook accepts a callback and again right before each delivery (the name may
    resolve elsewhere by then). Raises :class:`DestinationNotAllowedError` with a reason safe to return."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationNotAllowedError("the callback URL must be http(s)://host/...")
    host = parts.hostname.rstrip(".").lower()
    if parts.username or parts.password:
        raise DestinationNotAllowedError("the callback URL must not carry credentials")
    networks = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]
    try:
        literal: Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is None and host in {h.rstrip(".").lower() for h in allowed_hosts}:
        return
    if literal is not None:
        addresses = [literal]
    elif not resolve:
        return
    else:
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise DestinationUnresolvedError(f"the callback host {host!r} does not resolve") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    judged = [*addresses, *(v4 for address in addresses for v4 in embedded_ipv4(address))]
    for address in map(_plain, judged):
        if any(address in net for net in ALWAYS_DENIED):
            raise DestinationNotAllowedError(f"the callback host {host!r} is a cloud metadata address")
        if _denied_by_default(address) and not any(address in net for net in networks):
            raise DestinationNotAllowedError(
                f"the callback host {host!r} resolves to a non-public address ({address}) outside "
                "PIISCAN_CALLBACK_ALLOWED_NETWORKS"
            )


@dataclass(frozen=True, slots=True)
class PostOutcome:
    ok: bool
    status_code: int | None
    error: str | None


def post(url: str, body: bytes, secret: str, event: str, delivery_id: str, timeout_s: float) -> PostOutcome:
    """One signed POST; redirects are not followed (a moved receiver is a failed delivery)."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "piiscan-webhook/1",
        SIGNATURE_HEADER: sign(secret, body),
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
    }
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout_s, follow_redirects=False)
    except httpx.HTTPError as exc:
        return PostOutcome(False, None, f"{type(exc).__name__}: the receiver could not be reached")
    if 200 <= response.status_code < 300:
        return PostOutcome(True, response.status_code, None)
    return PostOutcome(False, response.status_code, f"the receiver answered HTTP {response.status_code}")
