"""The first admin of a fresh box, for ``make run`` / ``sitespeak dev``: while no account can log
in, the terminal that started the box (trusted, unlike the first visitor) gets a one-time link."""

from __future__ import annotations

from sitespeak.accounts import setup_links, users
from sitespeak.db.connection import database
from sitespeak.db.models import User
from sitespeak.tenancy import tenants

FIRST_ADMIN = "admin@localhost"
FIRST_TENANT = "Default"


def unclaimed_setup_link(ttl: float, base_url: str) -> str | None:
    """A setup link for the first superuser, or None once someone has a password."""
    with database.atomic():
        if User.select().where(User.password_hash != "").exists():
            return None
        user, _ = users.ensure_user(FIRST_ADMIN, superuser=True)
        tenant, _ = tenants.create_tenant(FIRST_TENANT)
        users.set_role(tenant.id, user, "owner")
        return setup_links.issue(user, ttl, base_url)
