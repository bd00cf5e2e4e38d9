"""Who is calling: a Bearer API token names the tenant."""

from __future__ import annotations

from dataclasses import dataclass

from quart import request

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
