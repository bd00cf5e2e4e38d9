"""Who gets a site's weekly report by email: one address per site, set by its owner."""

from __future__ import annotations

import re

from sitespeak.db.connection import database
from sitespeak.errors import InvalidInput

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")


def subscribe(tenant_id: int, site_id: int, email: str) -> str:
    """Sets the site's report address (replacing any); the caller checked the site's tenant."""
    email = email.strip()
    if not _EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an email address")
    database.execute_sql(
        "INSERT INTO analytics_subscriptions (site_id, tenant_id, email) VALUES (%s, %s, %s) "
        "ON CONFLICT (site_id) DO UPDATE SET email = EXCLUDED.email, created_at = now()",
        (site_id, tenant_id, email),
    )
    return email


def unsubscribe(tenant_id: int, site_id: int) -> None:
    database.execute_sql(
        "DELETE FROM analytics_subscriptions WHERE tenant_id = %s AND site_id = %s",
        (tenant_id, site_id),
    )


def subscriber(tenant_id: int, site_id: int) -> str | None:
    row = database.execute_sql(
        "SELECT email FROM analytics_subscriptions WHERE tenant_id = %s AND site_id = %s",
        (tenant_id, site_id),
    ).fetchone()
    return str(row[0]) if row else None
