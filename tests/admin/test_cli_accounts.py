"""The account commands as a real `python -m sitespeak` process: invite, reset, unlock."""

from __future__ import annotations

import json
import os
import uuid

import redis

from tests.support.processes import run_command


def _run(base_env: dict, *args: str) -> dict:
    out = run_command({**os.environ, **base_env}, *args, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_invite_prints_a_link_for_a_new_user_and_none_for_one_with_a_password(
    base_env, alice, passwords_set
):
    email = f"inv-{uuid.uuid4().hex[:6]}@example.test"
    report = _run(
        base_env, "user", "invite", email, "--tenant", alice.tenant.name, "--role", "editor"
    )
    assert report["created"] and "/admin/setup/" in report["link"]
    again = _run(
        base_env,
        "user",
        "invite",
        alice.user.email,
        "--tenant",
        alice.tenant.name,
        "--role",
        "owner",
    )
    assert again["link"] is None


def test_unlock_lifts_a_lockout(base_env, settings):
    client = redis.Redis.from_url(settings.redis_url)
    email = f"locked-{uuid.uuid4().hex[:6]}@example.test"
    locks = [f"{settings.redis_prefix}:login-lock:{email}|{a}" for a in ("192.0.2.1", "::1")]
    for lock in locks:  # locked out from two addresses: unlock lifts both
        client.set(lock, "1", ex=600)
    assert _run(base_env, "user", "unlock", email)["was_locked"] is True
    assert not client.exists(*locks)
    assert _run(base_env, "user", "unlock", email)["was_locked"] is False


def test_an_unknown_email_gives_a_readable_error(base_env):
    out = run_command({**os.environ, **base_env}, "user", "reset", "ghost@example.test")
    assert out.returncode == 1 and "no user ghost@example.test" in out.stderr
