"""Dependencies: the process's services, the tenant a hook token belongs to, and who is calling (role)."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from piiscan.api.errors import ApiError
from piiscan.store import review
from piiscan.workers.services import Services

bearer = HTTPBearer(auto_error=False, description="The tenant's hook token (PIISCAN_HOOK_TOKENS)")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def require_tenant(
    services: ServicesDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> str:
    """The tenant whose token is presented; no token (or an unknown one), no scan."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or not credentials.credentials:
        raise ApiError(401, "missing_token", "Send the tenant's hook token: Authorization: Bearer <token>", challenge)
    presented = credentials.credentials.encode()
    tenant_found = None
    for tenant, token in services.settings.hook_tokens.items():
        # compare with every token, in constant time, so the timing tells nothing
        if hmac.compare_digest(presented, token.get_secret_value().encode()):
            tenant_found = tenant
    if tenant_found is None:
        raise ApiError(401, "bad_token", "The hook token is not valid for any tenant", challenge)
    return tenant_found


TenantDep = Annotated[str, Depends(require_tenant)]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling: a tenant's hook, a reviewer or an admin, and the tenants they may see."""

    name: str
    role: str
    tenants: list[str]


def get_actor(
    services: ServicesDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Actor:
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or not credentials.credentials:
        raise ApiError(401, "missing_token", "Send a token: Authorization: Bearer <token>", challenge)
    token = credentials.credentials
    presented = token.encode()
    hook_tenant = None
    for tenant, secret in services.settings.hook_tokens.items():
        if hmac.compare_digest(presented, secret.get_secret_value().encode()):
            hook_tenant = tenant
    if hook_tenant is not None:
        return Actor(name=f"hook:{hook_tenant}", role="hook", tenants=[hook_tenant])
    with services.db.session() as session:
        principal = review.principal_by_token(session, services.settings.key_for("token"), token)
        if principal is not None:
            return Actor(name=principal.name, role=principal.role, tenants=list(principal.tenants))
    raise ApiError(401, "bad_token", "The token is not valid", challenge)


def require_roles(*roles: str) -> Callable[[Actor], Actor]:
    def check(actor: Annotated[Actor, Depends(get_actor)]) -> Actor:
        if actor.role not in roles:
            raise ApiError(403, "forbidden", f"This needs the role {' or '.join(roles)}; the token is a {actor.role}'s")
        return actor

    return check


ReviewerDep = Annotated[Actor, Depends(require_roles("reviewer", "admin"))]
AdminDep = Annotated[Actor, Depends(require_roles("admin"))]
