"""Who is signed in to this browser: the Redis session behind the cookie, the user and their role
in the tenant they are looking at. The admin UI's pages and the widget's try-it page both ask."""

from __future__ import annotations

from dataclasses import dataclass, field

from quart import request

from sitespeak.accounts import roles, users
from sitespeak.accounts.sessions import Session
from sitespeak.db.models import User
from sitespeak.errors import Forbidden
from sitespeak.web.runtime import runtime

COOKIE = "sitespeak_session"


@dataclass
class Admin:
    session: Session
    user_id: int
    email: str
    superuser: bool
    tenant_id: int | None
    tenant_name: str
    role: str | None
    tenants: list[users.TenantRole] = field(default_factory=list)

    def can(self, action: str) -> bool:
        return roles.allows(self.role, action)

    def require(self, action: str) -> None:
        roles.require(self.role, action)

    @property
    def member_of(self) -> int:
        """The current tenant's id. Every role needs one, so a view behind ``page()`` has it."""
        if self.tenant_id is None:
            raise Forbidden("you are not a member of any tenant")
        return self.tenant_id


def _resolve(user_id: int, tenant_id: int | None) -> tuple[User, list[users.TenantRole]] | None:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        return None
    return user, users.tenant_roles(user)


async def load_admin() -> Admin | None:
    rt = runtime()
    session = await rt.sessions.load(request.cookies.get(COOKIE))
    if session is None or not session.authenticated:
        return None
    found = await rt.db.run(_resolve, session.user_id, session.tenant_id)
    if found is None:
        return None
    user, tenant_roles = found
    # The tenant in the session may have been taken away since: fall back to the first one.
    current = next(
        (t for t in tenant_roles if t.tenant_id == session.tenant_id),
        tenant_roles[0] if tenant_roles else None,
    )
    return Admin(
        session,
        user.id,
        user.email,
        user.is_superuser,
        current.tenant_id if current else None,
        current.tenant_name if current else "",
        current.role if current else None,
        tenant_roles,
    )
