"""Shared fixtures: one fresh database and Redis namespace per test run, migrated once, and the
personas every isolation test uses — alice owns tenant A, bob is a viewer in A, charlie owns
tenant B and must see nothing of A."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from sitespeak import sites
from sitespeak.db.connection import database, open_database
from sitespeak.db.migrate import migrate
from sitespeak.db.models import Membership, Site, Tenant, User
from sitespeak.settings import Settings
from sitespeak.tenancy import tenants
from tests.support.own_postgres import OwnPostgres
from tests.support.processes import Proc, start_speech
from tests.support.services import TestServices, test_services

# Directories whose tests share one package-wide set-up (the fault suite's stack) or the
# repository's build tree (packaging): their tests run in one test process, in turn.
_ONE_PROCESS = ("tests/faults/", "tests/packaging/")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With ``-n 2 --dist loadgroup`` each file runs whole in one test process, so a module's
    web and worker start once; the directories above go whole to one process."""
    for item in items:
        path = item.nodeid.split("::")[0]
        group = next((d for d in _ONE_PROCESS if path.startswith(d)), path)
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> TestServices:
    with test_services(tmp_path_factory.mktemp("services")) as found:
        db = open_database(found.database_url, 4)
        migrate(db)
        yield found


@pytest.fixture(scope="session")
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> OwnPostgres:
    """A PostgreSQL of the run's own that tests may stop (never the shared one), migrated, with
    a tenant and its token; running again whenever a test hands it back."""
    server = OwnPostgres(tmp_path_factory.mktemp("own-postgres"))
    server.start()
    try:
        server.prepare()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("state")


@pytest.fixture(scope="session")
def base_env(services: TestServices, state_dir: Path) -> dict[str, str]:
    """The environment a real sitespeak process of this test run gets."""
    return {
        "DATABASE_URL": services.database_url,
        "REDIS_URL": services.redis_url,
        "SITESPEAK_REDIS_PREFIX": services.redis_prefix,
        "SITESPEAK_STATE_DIR": str(state_dir),
        "SITESPEAK_ENV_FILE": "",
        "SITESPEAK_HEARTBEAT_INTERVAL": "0.5",
        "SITESPEAK_JOB_STALE_AFTER": "3",
        "SITESPEAK_SHUTDOWN_GRACE": "5",
        "SITESPEAK_LOG_LEVEL": "info",
        # Most tests never speak: loading the speech models in every web process they start
        # costs seconds of CPU each. Voice tests load them on the first session.
        "SITESPEAK_VOICE_PRELOAD": "false",
        # Every crawl would otherwise queue a synthesis of the site's instant answers on the
        # run's speech process, and any test's worker on the voice queue would run them for
        # every site of the run. The instant-answer tests submit theirs directly.
        "SITESPEAK_INSTANT_ANSWERS": "false",
    }


@pytest.fixture(scope="session")
def speech_process(base_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Proc:
    """The run's speech process: it listens on speech.sock in the run's state dir, where every
    web process started with ``base_env`` looks. Fixtures of web processes that speak use it."""
    proc = start_speech(base_env, tmp_path_factory.mktemp("speech"))
    yield proc
    proc.stop()


def own_queues(env: dict[str, str]) -> dict[str, str]:
    """The env with a Redis namespace of its own: its worker sees no message that an earlier
    test left in the run's queues (schemathesis, for one, submits jobs no worker ran)."""
    return {
        **env,
        "SITESPEAK_REDIS_PREFIX": f"{env['SITESPEAK_REDIS_PREFIX']}-{uuid.uuid4().hex[:6]}",
    }


@pytest.fixture()
def queue_env(base_env: dict[str, str]) -> dict[str, str]:
    return own_queues(base_env)


@pytest.fixture(scope="session")
def settings(services: TestServices, state_dir: Path) -> Settings:
    return Settings(
        database_url=services.database_url,
        redis_url=services.redis_url,
        redis_prefix=services.redis_prefix,
        state_dir=state_dir,
        heartbeat_interval=0.5,
        job_stale_after=3,
        shutdown_grace=5,
    )


@pytest.fixture()
def db(services: TestServices):
    with database.connection_context():
        yield database


@dataclass(frozen=True)
class Persona:
    name: str
    user: User
    tenant: Tenant
    role: str
    token: str  # an API token of the persona's tenant with the scopes its role allows


def _persona(name: str, tenant: Tenant, role: str) -> Persona:
    user, _ = User.get_or_create(email=f"{name}@example.test")
    Membership.get_or_create(tenant=tenant, user=user, defaults={"role": role})
    scopes = ["read"] if role == "viewer" else ["read", "write"]
    issued = tenants.create_token(tenant, f"{name}-token", scopes)
    return Persona(name, user, tenant, role, issued.token)


@pytest.fixture(scope="session")
def personas(services: TestServices) -> dict[str, Persona]:
    with database.connection_context():
        tenant_a, _ = tenants.create_tenant("Tenant A")
        tenant_b, _ = tenants.create_tenant("Tenant B")
        return {
            "alice": _persona("alice", tenant_a, "owner"),
            "bob": _persona("bob", tenant_a, "viewer"),
            "charlie": _persona("charlie", tenant_b, "owner"),
        }


@pytest.fixture(scope="session")
def alice(personas) -> Persona:
    return personas["alice"]


@pytest.fixture(scope="session")
def bob(personas) -> Persona:
    return personas["bob"]


@pytest.fixture(scope="session")
def charlie(personas) -> Persona:
    return personas["charlie"]


_site_names = itertools.count(1)


@pytest.fixture()
def make_site(db):
    """Makes a site of a tenant (a fresh name each time), e.g. ``make_site(alice.tenant)``."""

    def make(tenant: Tenant, origin: str = "https://shop.example") -> Site:
        return sites.create_site(
            tenant.id,
            f"site-{uuid.uuid4().hex[:6]}-{next(_site_names)}",
            [origin + "/"],
            allowed_origins=[origin],
        )

    return make
