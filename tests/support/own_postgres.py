"""A PostgreSQL server of the test's own (the embedded one from the dev extra), so a test can
stop and restart it without touching the shared server; migrated, with one tenant and its API
token made through the CLI, as an operator would (the test process's models stay bound to the
run's shared database). One per test run (the ``own_postgres`` fixture): a test that stops it
starts it again before it ends."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sitespeak.embedded.postgres import EmbeddedPostgres
from tests.support.processes import run_command
from tests.support.slow_tests import check_may_start


class OwnPostgres:
    def __init__(self, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.server = EmbeddedPostgres(workdir / "pg", database="sitespeak")

    @property
    def url(self) -> str:
        return self.server.url()

    def start(self) -> None:
        if self.server.running_pid() is None:  # started twice, the server would restart
            check_may_start("a PostgreSQL server")
            self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def sitespeak(self, *args: str) -> str:
        """Run a CLI command against this server; its standard output."""
        env = {**os.environ, "DATABASE_URL": self.url, "SITESPEAK_ENV_FILE": ""}
        done = run_command(env, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def prepare(self, tenant: str = "Fault Tenant") -> None:
        """Migrate, make ``tenant`` and keep a read-write API token of it in ``token``."""
        self.tenant = tenant
        self.sitespeak("migrate")
        self.sitespeak("tenant", "create", tenant)
        made = self.sitespeak("token", "create", "--tenant", tenant, "--json")
        self.token: str = json.loads(made)["token"]
