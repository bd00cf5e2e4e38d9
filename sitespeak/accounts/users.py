"""Users and their role per tenant. Superusers act as owners of every tenant."""

from __future__ import annotations

import re
from dataclasses import dataclass

from peewee import IntegrityError

from sitespeak.accounts import passwords, roles
from sitespeak.db.connection import database
from sitespeak.db.models import Membership, Tenant, User
from sitespeak.errors import Conflict, Forbidden, InvalidInput, NotFound

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{1,63}$|^[^@\s]{1,64}@[^@\s.]{1,63}$")


def normalize_email(email: str) -> str:
    clean = email.strip().lower()
    if not _EMAIL.match(clean):
        raise InvalidInput(f"email: {email!r} is not an e-mail address")
    return clean


@dataclass(frozen=True)
class TenantRole:
    tenant_id: int
    tenant_name: str
    role: str


def ensure_user(email: str, *, superuser: bool = False) -> tuple[User, bool]:
    email = normalize_email(email)
    user = User.get_or_none(User.email == email)
    if user is None:
        try:
            with database.atomic():
                return User.create(email=email, is_superuser=superuser), True
        except IntegrityError:
            user = User.get(User.email == email)
    if superuser and not user.is_superuser:
        User.update(is_superuser=True).where(User.id == user.id).execute()
        user.is_superuser = True
    return user, False


def get_user(user_id: int) -> User:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def set_role(tenant_id: int, user: User, role: str) -> None:
    if role not in roles.ROLES:
        raise InvalidInput(f"role: one of {', '.join(roles.ROLES)}")
    (
        Membership.insert(tenant=tenant_id, user=user, role=role)
        .on_conflict(
            conflict_target=[Membership.tenant, Membership.user], update={Membership.role: role}
        )
        .execute()
    )


def tenant_roles(user: User) -> list[TenantRole]:
    """Every tenant this user can open, with the role they have there."""
    if user.is_superuser:
        return [TenantRole(t.id, t.name, "owner") for t in Tenant.select().order_by(Tenant.name)]
    rows = (
        Membership.select(Membership.role, Tenant.id, Tenant.name)
        .join(Tenant)
        .where(Membership.user == user)
        .order_by(Tenant.name)
    )
    return [TenantRole(m.tenant.id, m.tenant.name, m.role) for m in rows]


def home_tenant(user: User) -> int | None:
    """The tenant a sign-in opens: the first the user is a member of. A superuser may open
    every tenant, but starts in their own (the one `createadmin` made them owner of), not in
    whichever tenant sorts first."""
    own = (
        Membership.select(Membership.tenant)
        .join(Tenant)
        .where(Membership.user == user)
        .order_by(Tenant.name)
        .first()
    )
    if own is not None:
        return own.tenant_id
    roles = tenant_roles(user)
    return roles[0].tenant_id if roles else None


def role_in(user: User, tenant_id: int) -> str | None:
    if user.is_superuser:
        return "owner" if Tenant.get_or_none(Tenant.id == tenant_id) else None
    row = Membership.get_or_none(Membership.user == user, Membership.tenant == tenant_id)
    return row.role if row else None


def members(tenant_id: int) -> list[dict]:
    rows = (
        Membership.select(Membership, User)
        .join(User)
        .where(Membership.tenant == tenant_id)
        .order_by(User.email)
    )
    return [
        {
            "user_id": m.user.id,
            "email": m.user.email,
            "role": m.role,
            "active": bool(m.user.password_hash),
            "superuser": m.user.is_superuser,
        }
        for m in rows
    ]


def change_role(tenant_id: int, actor_role: str, user_id: int, role: str) -> None:
    current = Membership.get_or_none(Membership.tenant == tenant_id, Membership.user == user_id)
    if current is None:
        raise NotFound(f"user {user_id} is not a member of this tenant")
    _guard_privileged(actor_role, current.role, role)
    if current.role == "owner" and role != "owner":
        _keep_an_owner(tenant_id, user_id)
    set_role(tenant_id, current.user, role)


def remove_member(tenant_id: int, actor_role: str, user_id: int) -> None:
    current = Membership.get_or_none(Membership.tenant == tenant_id, Membership.user == user_id)
    if current is None:
        raise NotFound(f"user {user_id} is not a member of this tenant")
    _guard_privileged(actor_role, current.role, None)
    if current.role == "owner":
        _keep_an_owner(tenant_id, user_id)
    current.delete_instance()


def _guard_privileged(actor_role: str, old: str, new: str | None) -> None:
    # Admins manage editors and viewers; only owners touch admins and owners.
    if {old, new} & {"admin", "owner"}:
        roles.require(actor_role, "manage_owners")
    else:
        roles.require(actor_role, "manage_users")


def _keep_an_owner(tenant_id: int, leaving_user_id: int) -> None:
    others = (
        Membership.select()
        .where(
            Membership.tenant == tenant_id,
            Membership.role == "owner",
            Membership.user != leaving_user_id,
        )
        .count()
    )
    if not others:
        raise Conflict("a tenant keeps at least one owner; make someone else owner first")


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None (same cost whether or not the e-mail exists)."""
    try:
        email = normalize_email(email)
    except InvalidInput:
        passwords.verify("", password)
        return None
    user = User.get_or_none(User.email == email)
    # Verified even without a user, so that an unknown address takes as long as a known one.
    if not passwords.verify(user.password_hash if user else "", password) or user is None:
        return None
    if passwords.needs_rehash(user.password_hash):
        set_password(user.id, password)
    return user


def set_password(user_id: int, password: str) -> None:
    User.update(password_hash=passwords.hash_password(password)).where(User.id == user_id).execute()


def require_member(user: User, tenant_id: int) -> str:
    role = role_in(user, tenant_id)
    if role is None:
        raise Forbidden("you are not a member of this tenant")
    return role
