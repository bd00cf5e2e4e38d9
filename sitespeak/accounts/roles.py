"""Roles per tenant and what each may do. Ranked: a higher role can do all a lower one can."""

from __future__ import annotations

from typing import Literal

from sitespeak.errors import Forbidden

Role = Literal["viewer", "editor", "admin", "owner"]
ROLES: tuple[str, ...] = ("viewer", "editor", "admin", "owner")

# The least role each action needs.
ACTIONS: dict[str, str] = {
    "read": "viewer",
    "write": "editor",  # sites, crawls, actions, job retries
    "manage_tokens": "admin",
    "manage_users": "admin",
    "manage_owners": "owner",  # grant or take away owner/admin
}


def rank(role: str) -> int:
    return ROLES.index(role)


def allows(role: str | None, action: str) -> bool:
    return role is not None and rank(role) >= rank(ACTIONS[action])


def require(role: str | None, action: str) -> None:
    if not allows(role, action):
        need = ACTIONS[action]
        raise Forbidden(f"this needs the {need} role or higher (you are {role or 'not a member'})")


def token_scopes(role: str) -> list[str]:
    """The API token scopes a member of this role may hand out."""
    return ["read", "write"] if allows(role, "write") else ["read"]
