"""What the platform tells us about an upload: who uploaded it, who can see it, for which tenant.

Findings alone cannot tell the uploader's own data from someone else's, nor a private
backup from a public post; the context can. It comes from CLI flags today and from the
upload hook later. It is personal data itself, so it is used for matching only and never
written into a report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, get_args

Visibility = Literal["public", "unlisted", "private"]
VISIBILITIES: tuple[Visibility, ...] = get_args(Visibility)

DEFAULT_VISIBILITY: Visibility = "public"
"""When the caller does not say, an upload is treated as public: that is how the platform
delivers uploads by default, and it is the safe side (severities are never understated)."""


class IdentityKeys(Protocol):
    """An uploader identity kept as keyed hashes only (:class:`piiscan.privacy.keys.KeyedIdentity`).

    A rescan after the raw identity was erased matches findings against it: the same bytes then
    get the same owners without piiscan keeping the name, e-mails or phones."""

    @property
    def kinds(self) -> frozenset[str]:
        """Which identity fields were known: ``name``, ``email``, ``phone``."""
        ...

    def holds(self, entity_type: str, text: str) -> bool: ...

    def holds_name(self, name: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Uploader:
    """The identity the platform knows for the uploader. Every field is optional."""

    user_id: str | None = None
    name: str | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    keyed: IdentityKeys | None = None
    """Used only when the raw fields are gone (a rescan): the identity as keyed hashes."""

    def __post_init__(self) -> None:
        # Accept lists from callers while keeping the dataclass hashable and immutable.
        object.__setattr__(self, "emails", tuple(e for e in self.emails if e and e.strip()))
        object.__setattr__(self, "phones", tuple(p for p in self.phones if p and p.strip()))
        if self.name is not None and not self.name.strip():
            object.__setattr__(self, "name", None)

    @property
    def known(self) -> bool:
        """True when there is anything to match findings against (a user id alone is not)."""
        return bool(self.name or self.emails or self.phones or (self.keyed is not None and self.keyed.kinds))

    @property
    def raw_known(self) -> bool:
        return bool(self.name or self.emails or self.phones)


@dataclass(frozen=True, slots=True)
class ScanContext:
    """The upload's context; ``ScanContext()`` means an unknown uploader and a public upload."""

    uploader: Uploader = field(default_factory=Uploader)
    visibility: Visibility = DEFAULT_VISIBILITY
    tenant: str | None = None

    def __post_init__(self) -> None:
        if self.visibility not in VISIBILITIES:
            raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}, not {self.visibility!r}")
