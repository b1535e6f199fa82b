"""Which tenant owns which objects: scopes of ``bucket/prefix`` per tenant (``PIISCAN_TENANT_SCOPES``).

A tenant reaches only the objects its scopes cover, in every path (hook, bucket events, abuse
reports, previews, reveals). Scopes of two tenants never overlap, so a key has at most one owner:
an abuse report or a bucket event resolves to it. A lone tenant without scopes keeps the reach it
had before scopes existed (every allow-listed bucket); with more than one tenant, a tenant without
scopes reaches nothing, and the service refuses to start (:func:`problems`).

A prefix is matched as S3 matches prefixes (a plain string prefix of the key): end it with ``/`` to
mean a folder.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from piiscan.storage.base import object_missing

if TYPE_CHECKING:
    from piiscan.settings import Settings

ALL_TENANTS = "*"


class ScopeError(ValueError):
    """A scope that cannot be used; the message names it and says what is wrong."""


@dataclass(frozen=True, slots=True)
class Scope:
    bucket: str
    prefix: str
    """A string prefix of the key; empty: the whole bucket."""

    def covers(self, bucket: str, key: str) -> bool:
        return bucket == self.bucket and key.startswith(self.prefix)

    def overlaps(self, other: Scope) -> bool:
        """Some key is in both: same bucket and one prefix starts the other."""
        return self.bucket == other.bucket and (
            self.prefix.startswith(other.prefix) or other.prefix.startswith(self.prefix)
        )

    def __str__(self) -> str:
        return f"{self.bucket}/{self.prefix}"


def _dot_segment(path: str) -> bool:
    return any(part in (".", "..") for part in path.split("/"))


def parse_scope(text: str) -> Scope:
    """``"bucket/prefix"``; ``"bucket"`` and ``"bucket/"`` are the whole bucket."""
    bucket, _, prefix = text.partition("/")
    if not bucket.strip() or bucket != bucket.strip():
        raise ScopeError(f"scope {text!r}: the bucket is empty (write bucket/prefix)")
    if _dot_segment(prefix) or ".." in bucket:
        raise ScopeError(f"scope {text!r}: '.' and '..' segments are not allowed")
    if "\\" in text or "\x00" in text:
        raise ScopeError(f"scope {text!r}: backslashes and NUL are not allowed")
    return Scope(bucket, prefix)


def parse_scopes(raw: Mapping[str, Iterable[str]]) -> dict[str, tuple[Scope, ...]]:
    """Every tenant's scopes, refusing bad ones and any overlap between two tenants."""
    parsed: dict[str, tuple[Scope, ...]] = {}
    for tenant, texts in raw.items():
        if not tenant or tenant == ALL_TENANTS:
            raise ScopeError(f"tenant name {tenant!r} cannot have scopes")
        parsed[tenant] = tuple(dict.fromkeys(parse_scope(t) for t in texts))
    _refuse_overlaps(sorted((scope.bucket, scope.prefix, tenant) for tenant, ss in parsed.items() for scope in ss))
    return parsed


def _refuse_overlaps(ordered: list[tuple[str, str, str]]) -> None:
    """Two tenants' scopes overlap when one prefix starts the other (same bucket). In sorted order the
    keys starting with a prefix come right after it, so a stack of the prefixes still open (each one
    starting the next) finds every such pair in O(n log n) (services may have many tenants)."""
    open_: list[tuple[str, str, str]] = []
    for bucket, prefix, tenant in ordered:
        while open_ and not (open_[-1][0] == bucket and prefix.startswith(open_[-1][1])):
            open_.pop()
        for _, outer, owner in open_:
            if owner != tenant:
                raise ScopeError(
                    f"the scopes {bucket + '/' + outer!r} of tenant {owner!r} and {bucket + '/' + prefix!r} of "
                    f"tenant {tenant!r} overlap: a key must belong to one tenant at most (abuse reports resolve "
                    "to its owner)"
                )
        open_.append((bucket, prefix, tenant))


class Tenancy:
    """The tenants a configuration names and what each may reach."""

    def __init__(
        self, scopes: Mapping[str, Iterable[str]], tenants: Iterable[str], buckets: Iterable[str] = ()
    ) -> None:
        self.scopes = parse_scopes(scopes)
        self.tenants = frozenset(t for t in (*tenants, *self.scopes) if t and t != ALL_TENANTS)
        self.buckets = frozenset(buckets)
        self._by_bucket: dict[str, list[tuple[str, str]]] = {}
        for tenant, owned in self.scopes.items():
            for scope in owned:
                self._by_bucket.setdefault(scope.bucket, []).append((scope.prefix, tenant))

    @classmethod
    def of(cls, settings: Settings) -> Tenancy:
        """The tenancy of ``settings``, built once per settings object (every request asks). A copy with
        other tenants, scopes or buckets (``model_copy(update=...)``) holds other field objects: rebuilt."""
        sources = (
            settings.tenant_scopes,
            settings.hook_tokens,
            settings.callback_urls,
            settings.reviewer_tokens,
            settings.admin_tokens,
            settings.buckets,
        )
        seen = _BUILT.get(id(settings))
        if seen is not None and seen[0]() is settings and all(a is b for a, b in zip(seen[1], sources, strict=True)):
            return seen[2]
        tenancy = cls(settings.tenant_scopes, configured_tenants(settings), settings.buckets)
        if len(_BUILT) >= 64:
            _BUILT.clear()
        _BUILT[id(settings)] = (weakref.ref(settings), sources, tenancy)
        return tenancy

    def _lone(self, tenant: str) -> bool:
        """The one configured tenant (or none is), without scopes: it keeps every allow-listed bucket."""
        return not self.scopes.get(tenant) and (not self.tenants or self.tenants == {tenant})

    def reach(self, tenant: str) -> tuple[Scope, ...] | None:
        """The tenant's scopes; None for the lone tenant without scopes (every allow-listed bucket);
        empty (nothing) for a tenant without scopes next to others."""
        if self._lone(tenant):
            return None
        return self.scopes.get(tenant, ())

    def in_scope(self, tenant: str, bucket: str, key: str) -> bool:
        """Whether ``tenant`` may reach ``bucket/key``. Keys with ``.``/``..`` segments are never in
        scope: some S3-compatible stores on file systems resolve them (into another tenant's prefix)."""
        if _dot_segment(key) or "\\" in key:
            return False
        scopes = self.reach(tenant)
        if scopes is None:
            return not self.buckets or bucket in self.buckets
        return any(scope.covers(bucket, key) for scope in scopes)

    def sees(self, tenants: Iterable[str], bucket: str, key: str) -> bool:
        """Whether someone granted ``tenants`` (``"*"``: every tenant) may reach ``bucket/key``."""
        granted = list(tenants)
        if ALL_TENANTS in granted:
            return True
        return any(self.in_scope(t, bucket, key) for t in granted)

    def owner(self, bucket: str, key: str) -> str | None:
        """The one tenant that owns ``bucket/key``, or None when no tenant does."""
        if len(self.tenants) == 1:
            (only,) = self.tenants
            return only if self.in_scope(only, bucket, key) else None
        if _dot_segment(key) or "\\" in key:
            return None
        owners = {tenant for prefix, tenant in self._by_bucket.get(bucket, ()) if key.startswith(prefix)}
        return owners.pop() if len(owners) == 1 else None

    def require(self, tenant: str, bucket: str, key: str) -> None:
        """Raise what a missing object raises (same status, code and message) unless in scope: an
        out-of-scope key must not tell whether it exists."""
        if not self.in_scope(tenant, bucket, key):
            raise object_missing(bucket, key)

    def problems(self) -> list[str]:
        """With more than one tenant, every tenant needs scopes (else its reach is unclear)."""
        if len(self.tenants) <= 1:
            return []
        missing = sorted(t for t in self.tenants if not self.scopes.get(t))
        if not missing:
            return []
        return [
            f"{len(self.tenants)} tenants are configured, and these have no PIISCAN_TENANT_SCOPES: "
            f"{', '.join(map(repr, missing))}; with more than one tenant, every tenant needs its bucket/prefix scopes"
        ]


_BUILT: dict[int, tuple[weakref.ref[Settings], tuple[object, ...], Tenancy]] = {}
"""id(settings) → (the settings, the field objects the tenancy was built from, the tenancy)."""


def configured_tenants(settings: Settings) -> set[str]:
    """Tenants named by hook tokens, callback URLs, scopes and reviewer / admin grants (not ``"*"``)."""
    named = {*settings.hook_tokens, *settings.callback_urls, *settings.tenant_scopes}
    for grants in (settings.reviewer_tokens, settings.admin_tokens):
        for grant in grants.values():
            named.update(t for t in grant.tenants if t != ALL_TENANTS)
    return named
