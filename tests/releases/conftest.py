"""Fixtures of the releases tests: the knowledge tests' loopback website and sites on it, the
local embedder, and a recorder of the events a switch publishes."""

from __future__ import annotations

import pytest

from sitespeak.knowledge.embedders import LocalEmbedder
from tests.admin.conftest import app, flush_login_limits, login, passwords_set  # noqa: F401
from tests.hosting.conftest import host_settings  # noqa: F401 - a fixture
from tests.knowledge.conftest import kb_settings, make_site, testsite  # noqa: F401 - fixtures


@pytest.fixture(scope="module")
def local() -> LocalEmbedder:
    return LocalEmbedder()


class Events(list):
    """The events a domain function published, as (type, tenant, data)."""

    def __call__(self, kind: str, tenant_id: int | None, data: dict) -> None:
        self.append((kind, tenant_id, data))

    def of(self, kind: str) -> list[dict]:
        return [data for k, _, data in self if k == kind]


@pytest.fixture()
def events() -> Events:
    return Events()
