"""Tenants and their API tokens. Tokens are random, shown once, stored only as a SHA-256 hash
(a fast hash is right here: the token has 256 bits of entropy, unlike a password)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from peewee import IntegrityError

from sitespeak.db.connection import database
from sitespeak.db.models import ApiToken, Tenant, utcnow
from sitespeak.errors import InvalidInput, NotFound, Unauthorized

TOKEN_PREFIX = "sst_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")


def create_tenant(name: str) -> tuple[Tenant, bool]:
    """Return (tenant, created); an existing tenant of that name is returned as is."""
    if not _NAME.match(name):
        raise InvalidInput("tenant name: 1-64 letters, digits, spaces, '_', '.', '-'")
    try:
        with database.atomic():
            return Tenant.create(name=name), True
    except IntegrityError:
        return Tenant.get(Tenant.name == name), False


def get_tenant(name: str) -> Tenant:
    tenant = Tenant.get_or_none(Tenant.name == name)
    if tenant is None:
        raise NotFound(f"no tenant named {name!r}")
    return tenant


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    row: ApiToken


def create_token(tenant: Tenant, name: str = "", scopes: list[str] | None = None) -> IssuedToken:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.create(
        tenant=tenant,
        name=name,
        token_hash=_hash(token),
        prefix=token[:10],
        scopes=scopes or ["read", "write"],
    )
    return IssuedToken(token, row)


def authenticate_token(token: str) -> ApiToken:
    """The live token row for a presented bearer token, or Unauthorized."""
    if not token.startswith(TOKEN_PREFIX):
        raise Unauthorized("malformed API token")
    row = (
        ApiToken.select(ApiToken, Tenant)
        .join(Tenant)
        .where(ApiToken.token_hash == _hash(token), ApiToken.revoked_at.is_null())
        .get_or_none()
    )
    if row is None:
        raise Unauthorized("unknown or revoked API token")
    return row


def revoke_token(tenant: Tenant, token_id: int) -> None:
    updated = (
        ApiToken.update(revoked_at=utcnow())
        .where(ApiToken.id == token_id, ApiToken.tenant == tenant)
        .execute()
    )
    if not updated:
        raise NotFound(f"no API token {token_id} in this tenant")
