"""Admin UI fixtures: an in-process app on the run's real PostgreSQL and Redis, personas with
passwords, and a logged-in Quart test client per persona."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
import redis

from sitespeak.accounts import users
from sitespeak.assembly import web_app
from sitespeak.db.connection import database
from tests.support.browser import chromium

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@pytest.fixture(scope="session")
def passwords_set(personas) -> None:
    with database.connection_context():
        for persona in personas.values():
            users.set_password(persona.user.id, PASSWORD)


INSTANCE_ADMIN = "root@example.test"


@pytest.fixture(scope="session")
def instance_admin(passwords_set) -> str:
    """The e-mail of an instance superuser (who acts as the owner of every tenant)."""
    with database.connection_context():
        user, _ = users.ensure_user(INSTANCE_ADMIN, superuser=True)
        users.set_password(user.id, PASSWORD)
    return INSTANCE_ADMIN


@pytest.fixture()
def flush_login_limits(settings):
    """Lockout and rate-limit counters are per e-mail and address: clear them between tests."""
    client = redis.Redis.from_url(settings.redis_url)

    def flush() -> None:
        for pattern in ("login-fail", "login-lock", "rl:login"):
            for key in client.scan_iter(match=f"{settings.redis_prefix}:{pattern}*"):
                client.delete(key)

    flush()
    yield flush
    flush()


def quiet_settings(settings):
    """The run's settings without speech-model preloading (admin tests never speak)."""
    if "voice_preload" in type(settings).model_fields:
        return settings.model_copy(update={"voice_preload": False})
    return settings


QUIET_ENV = {"SITESPEAK_VOICE_PRELOAD": "false"}


@asynccontextmanager
async def quiet_app(settings) -> AsyncIterator:
    """The web app of ``settings`` without speech preloading, its Redis client and database pool
    closed afterwards. No lifespan (test_app): the admin pages need neither the event hub nor the
    lag probe, and EventHub.stop() can hang when cancelled mid-subscribe (reported; see the issue
    tracker)."""
    application = web_app(quiet_settings(settings))
    try:
        yield application
    finally:
        rt = application.extensions["sitespeak"]
        await rt.redis.aclose()
        rt.db.close()


@pytest.fixture()
async def app(settings, passwords_set, flush_login_limits):
    async with quiet_app(settings) as application:
        yield application


@dataclass
class Browser:
    """A Quart test client with the cookie jar of one visitor."""

    client: object
    csrf: str = ""

    async def get(self, path: str, **kw):
        response = await self.client.get(path, **kw)
        body = await response.get_data(as_text=True)
        found = _CSRF.search(body)
        if found:
            self.csrf = found.group(1)
        return response, body

    async def post(self, path: str, form: dict | None = None, *, csrf: bool = True, **kw):
        data = dict(form or {})
        if csrf:
            data.setdefault("csrf", self.csrf)
        response = await self.client.post(path, form=data, **kw)
        return response, await response.get_data(as_text=True)


async def log_in(app, email: str, password: str = PASSWORD) -> Browser:
    browser = Browser(app.test_client())
    await browser.get("/admin/login")
    response, body = await browser.post("/admin/login", {"email": email, "password": password})
    assert response.status_code == 302, body
    await browser.get("/admin/")
    return browser


@pytest.fixture()
def login(app):
    async def _login(persona) -> Browser:
        return await log_in(app, persona.user.email)

    return _login


@pytest.fixture(scope="module")
def browser():
    """Chromium for one module's browser tests."""
    with chromium() as found:
        yield found
