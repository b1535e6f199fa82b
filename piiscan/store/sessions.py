"""Reviewer-page sessions kept in the database, so that logging out or revoking ends them at once.

The cookie carries 256 random bits and nothing else; the table keeps only the HMAC of that value under
the session key (``Settings.key_for("session")``), so neither a copy of the table nor the webhook secret
lets anyone make a cookie. A session counts while its row exists, is not revoked, has not expired and
its principal is active with a reviewer's or an admin's role: a token removed from the settings
deactivates the principal at the next start (:func:`piiscan.store.review.sync_principals`), which also
revokes its sessions.

The CSRF token of a session is an HMAC of the row's hash under the session key: the same for every form
of the session, unguessable without the cookie or the key, and nothing to store.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.orm import Session

from piiscan.store.models import Principal, ReviewSession, utcnow
from piiscan.store.review import aware, keyed_hash

COOKIE_BYTES = 32
"""Random bytes in a cookie: 256 bits."""
MAX_COOKIE_CHARS = 64
"""A cookie value longer than this was not made here (token_urlsafe(32) is 43 characters)."""
PAGE_ROLES = ("reviewer", "admin")


@dataclass(frozen=True, slots=True)
class Current:
    """A session that counts now, and who it belongs to."""

    id: str
    token_hash: str
    principal_id: str
    name: str
    role: str
    tenants: list[str]


def _hash(key: str, cookie: str) -> str:
    return keyed_hash(key, "session", cookie)


def open_session(session: Session, key: str, principal_id: str, ttl_s: int, now: datetime | None = None) -> str:
    """Store a new session of ``principal_id``; returns the cookie value (shown once, never stored)."""
    now = now or utcnow()
    cookie = secrets.token_urlsafe(COOKIE_BYTES)
    session.add(
        ReviewSession(
            token_hash=_hash(key, cookie),
            principal_id=principal_id,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_s),
        )
    )
    return cookie


def current(session: Session, key: str, cookie: str, now: datetime | None = None) -> Current | None:
    """The session of ``cookie`` if it counts now; None for any value not in the table, revoked, expired,
    or whose principal is no longer an active reviewer or admin."""
    if not cookie or len(cookie) > MAX_COOKIE_CHARS:
        return None
    now = now or utcnow()
    row = session.scalars(select(ReviewSession).where(ReviewSession.token_hash == _hash(key, cookie))).first()
    if row is None or row.revoked_at is not None:
        return None
    expires = aware(row.expires_at)
    if expires is None or expires <= now:
        return None
    principal = session.get(Principal, row.principal_id)
    if principal is None or not principal.active or principal.role not in PAGE_ROLES:
        return None
    return Current(row.id, row.token_hash, principal.id, principal.name, principal.role, list(principal.tenants))


def end_session(session: Session, key: str, cookie: str) -> bool:
    """Logout: delete the row of ``cookie`` (the cookie is worthless from this commit on)."""
    if not cookie or len(cookie) > MAX_COOKIE_CHARS:
        return False
    result = session.execute(delete(ReviewSession).where(ReviewSession.token_hash == _hash(key, cookie)))
    return bool(getattr(result, "rowcount", 0))


def revoke(session: Session, session_id: str, now: datetime | None = None) -> bool:
    """An admin's revocation of one session (by its id, as :func:`list_sessions` shows it)."""
    result = session.execute(
        update(ReviewSession)
        .where(ReviewSession.id == session_id, ReviewSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    return bool(getattr(result, "rowcount", 0))


def revoke_principal(session: Session, principal_id: str, now: datetime | None = None) -> int:
    """End every session of a principal (deactivated, or an admin's choice); returns how many."""
    result = session.execute(
        update(ReviewSession)
        .where(ReviewSession.principal_id == principal_id, ReviewSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def list_sessions(session: Session, now: datetime | None = None) -> list[tuple[ReviewSession, Principal]]:
    """Sessions that have not expired nor been revoked, newest first, with their principals."""
    now = now or utcnow()
    query = (
        select(ReviewSession, Principal)
        .join(Principal, Principal.id == ReviewSession.principal_id)
        .where(ReviewSession.revoked_at.is_(None), ReviewSession.expires_at > now)
        .order_by(ReviewSession.created_at.desc())
    )
    return [(row, principal) for row, principal in session.execute(query).all()]


def ended(now: datetime) -> ColumnElement[bool]:
    """The rows the retention purge deletes: expired or revoked (a where-clause)."""
    return or_(ReviewSession.expires_at <= now, ReviewSession.revoked_at.is_not(None))


def csrf_token(key: str, token_hash: str) -> str:
    """The CSRF token of the session whose row hash is ``token_hash``."""
    return keyed_hash(key, "csrf", token_hash)
