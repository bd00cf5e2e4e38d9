"""Account one-offs: the first admin's setup link, invites, unlocking, logging a user out."""

from __future__ import annotations

import argparse

import redis

from sitespeak.accounts import lockout, roles, setup_links, users
from sitespeak.cli.admin import connect
from sitespeak.cli.output import add_json_flag, emit
from sitespeak.db.connection import database
from sitespeak.db.models import User
from sitespeak.errors import NotFound
from sitespeak.settings import Settings
from sitespeak.tenancy import tenants


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("createadmin", help="create a superuser and print a one-time setup link")
    p.add_argument("email")
    p.add_argument(
        "--tenant",
        default="Default",
        help="tenant the admin owns (created if missing; default: Default)",
    )
    add_json_flag(p)
    p.set_defaults(handler=cmd_createadmin)

    user = sub.add_parser("user", help="manage admin UI users").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = user.add_parser("invite", help="add a user to a tenant; prints a setup link if new")
    p.add_argument("email")
    p.add_argument("--tenant", required=True)
    p.add_argument("--role", choices=roles.ROLES, default="viewer")
    add_json_flag(p)
    p.set_defaults(handler=cmd_invite)

    p = user.add_parser("reset", help="print a one-time link to set a new password")
    p.add_argument("email")
    add_json_flag(p)
    p.set_defaults(handler=cmd_reset)

    p = user.add_parser("unlock", help="lift a login lockout")
    p.add_argument("email")
    add_json_flag(p)
    p.set_defaults(handler=cmd_unlock)


def _link_text(email: str, link: str, settings: Settings) -> str:
    hours = settings.setup_link_ttl / 3600
    return (
        f"Open this link to set the password of {email} (works once, expires in "
        f"{hours:g} h):\n{link}"
    )


def cmd_createadmin(settings: Settings, args: argparse.Namespace) -> int:
    connect(settings)
    with database.connection_context(), database.atomic():
        user, created = users.ensure_user(args.email, superuser=True)
        tenant, _ = tenants.create_tenant(args.tenant)
        users.set_role(tenant.id, user, "owner")
        link = setup_links.issue(user, settings.setup_link_ttl, settings.base_url)
    emit(
        args,
        {
            "email": user.email,
            "created": created,
            "tenant": tenant.name,
            "link": link,
            "expires_in_s": settings.setup_link_ttl,
        },
        _link_text(user.email, link, settings),
    )
    return 0


def cmd_invite(settings: Settings, args: argparse.Namespace) -> int:
    connect(settings)
    with database.connection_context(), database.atomic():
        tenant = tenants.get_tenant(args.tenant)
        user, created = users.ensure_user(args.email)
        users.set_role(tenant.id, user, args.role)
        link = (
            None
            if user.password_hash
            else setup_links.issue(user, settings.setup_link_ttl, settings.base_url, "invite")
        )
    text = (
        _link_text(user.email, link, settings)
        if link
        else f"{user.email} is now {args.role} in {tenant.name} (they already have a password)"
    )
    emit(
        args,
        {
            "email": user.email,
            "created": created,
            "tenant": tenant.name,
            "role": args.role,
            "link": link,
        },
        text,
    )
    return 0


def cmd_reset(settings: Settings, args: argparse.Namespace) -> int:
    connect(settings)
    with database.connection_context(), database.atomic():
        user = User.get_or_none(User.email == users.normalize_email(args.email))
        if user is None:
            raise NotFound(f"no user {args.email}")
        link = setup_links.issue(user, settings.setup_link_ttl, settings.base_url, "reset")
    emit(args, {"email": user.email, "link": link}, _link_text(user.email, link, settings))
    return 0


def cmd_unlock(settings: Settings, args: argparse.Namespace) -> int:
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2)
    was_locked = lockout.unlock(client, settings.redis_prefix, args.email)
    emit(
        args,
        {"email": args.email, "was_locked": was_locked},
        f"{args.email}: lockout lifted" if was_locked else f"{args.email} was not locked",
    )
    return 0
