"""API tokens as the admin UI sees them: listed per tenant, created within the creator's rights."""

from __future__ import annotations

from sitespeak.accounts import roles
from sitespeak.db.models import ApiToken, Tenant
from sitespeak.errors import InvalidInput
from sitespeak.tenancy import tenants

SCOPES = ("read", "write")


def list_tokens(tenant_id: int) -> list[dict]:
    rows = (
        ApiToken.select()
        .where(ApiToken.tenant == tenant_id)
        .order_by(ApiToken.revoked_at.is_null(False), ApiToken.created_at.desc())
    )
    return [
        {
            "id": t.id,
            "name": t.name,
            "prefix": t.prefix,
            "scopes": list(t.scopes),
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "revoked": t.revoked_at is not None,
        }
        for t in rows
    ]


def create(tenant_id: int, creator_role: str, name: str, scopes: list[str]) -> tenants.IssuedToken:
    roles.require(creator_role, "manage_tokens")
    name = name.strip()
    if len(name) > 100:
        raise InvalidInput("name: at most 100 characters")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InvalidInput(
            f"scopes: choose from {', '.join(SCOPES)}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else "")
        )
    allowed = set(roles.token_scopes(creator_role))
    if not set(scopes) <= allowed:
        raise InvalidInput("scopes: you cannot grant more than your role allows")
    return tenants.create_token(Tenant.get_by_id(tenant_id), name, sorted(set(scopes)))


def revoke(tenant_id: int, creator_role: str, token_id: int) -> None:
    roles.require(creator_role, "manage_tokens")
    tenants.revoke_token(Tenant.get_by_id(tenant_id), token_id)
