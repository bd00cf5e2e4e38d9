"""Who is calling: a Bearer API token names the tenant."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from quart import request
from quart_schema import security_scheme

from sitespeak.errors import Forbidden, Unauthorized
from sitespeak.tenancy.tenants import authenticate_token
from sitespeak.web.runtime import runtime


@dataclass(frozen=True)
class Caller:
    tenant_id: int
    tenant_name: str
    scopes: tuple[str, ...]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"this API token lacks the {scope!r} scope")


def _lookup(token: str) -> Caller:
    row = authenticate_token(token)
    return Caller(row.tenant_id, row.tenant.name, tuple(row.scopes))


async def api_caller(scope: str = "read") -> Caller:
    header = request.headers.get("Authorization", "")
    kind, _, token = header.partition(" ")
    if kind.lower() != "bearer" or not token:
        raise Unauthorized("send an API token as 'Authorization: Bearer sst_...'")
    caller = await runtime().db.run(_lookup, token.strip())
    caller.require(scope)
    return caller


View = Callable[..., Awaitable[Any]]


def requires(scope: str) -> Callable[[View], View]:
    """``@requires("write")`` under the route decorator, above quart-schema's validation: the
    token is checked (401, 403) before the body or query is read, and the view gets the caller
    as ``caller``. The document lists the route under the bearer scheme."""

    def decorate(view: View) -> View:
        @wraps(view)
        async def authenticated(*args: Any, **kwargs: Any) -> Any:
            return await view(*args, caller=await api_caller(scope), **kwargs)

        authenticated.api_scope = scope  # type: ignore[attr-defined]  # read by the tests
        return security_scheme([{"bearer": []}])(authenticated)

    return decorate
