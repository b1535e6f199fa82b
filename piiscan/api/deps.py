"""Dependencies: the process's services and the tenant a hook token belongs to."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from piiscan.api.errors import ApiError
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
