"""One-time links that let a user set a password: the first admin (``createadmin``) and invites.

The token is random and stored only as a hash; using it is one UPDATE that only succeeds while the
link is unused and unexpired, so two concurrent uses cannot both win.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sitespeak.accounts import passwords, users
from sitespeak.accounts.models import SetupLink
from sitespeak.db.models import User, utcnow
from sitespeak.errors import NotFound

PATH = "/admin/setup/"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: User, ttl: float, base_url: str, purpose: str = "setup") -> str:
    """Create a link for ``user`` and return its full URL (shown once)."""
    token = secrets.token_urlsafe(32)
    SetupLink.create(
        user=user,
        token_hash=_hash(token),
        purpose=purpose,
        expires_at=utcnow() + dt.timedelta(seconds=ttl),
    )
    return base_url.rstrip("/") + PATH + token


def _live(token: str):
    return (
        SetupLink.select(SetupLink, User)
        .join(User)
        .where(
            SetupLink.token_hash == _hash(token),
            SetupLink.used_at.is_null(),
            SetupLink.expires_at > utcnow(),
        )
    )


def peek(token: str) -> SetupLink:
    link = _live(token).get_or_none()
    if link is None:
        raise NotFound("this setup link is unknown, used or expired; ask an admin for a new one")
    return link


def consume(token: str, password: str) -> User:
    """Use the link: set the password and return the user. Call inside a transaction."""
    passwords.check_strength(password)  # a weak password must not burn the link
    used = (
        SetupLink.update(used_at=utcnow())
        .where(
            SetupLink.token_hash == _hash(token),
            SetupLink.used_at.is_null(),
            SetupLink.expires_at > utcnow(),
        )
        .returning(SetupLink.user)
        .execute()
    )
    rows = list(used)
    if not rows:
        raise NotFound("this setup link is unknown, used or expired; ask an admin for a new one")
    user_id = rows[0].user_id
    users.set_password(user_id, password)
    return users.get_user(user_id)
