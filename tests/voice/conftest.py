"""Voice fixtures: the bakery test site, crawled and indexed through the knowledge base's own
code, and a real web process serving /voice-ws."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sitespeak.db.connection import database
from sitespeak.sites import create_site
from tests.support.processes import Proc, start_web
from tests.voice.indexing import index_site
from tests.voice.testsite import serve_site


@dataclass(frozen=True)
class VoiceSite:
    id: int
    name: str
    key: str
    origin: str
    tenant_id: int


@pytest.fixture(scope="session")
def bakery_url() -> str:
    with serve_site() as url:
        yield url


@pytest.fixture(scope="session")
def voice_site(
    services, alice, bakery_url, base_env, tmp_path_factory, speech_process
) -> VoiceSite:
    """The bakery site, and the run's speech process up for the web processes that speak."""
    with database.connection_context():
        site = create_site(
            alice.tenant.id, "Sunrise Bakery", [bakery_url], allow_private=True, privileged=True
        )
    index_site(
        base_env, site.id, site.name, alice.tenant.name, tmp_path_factory.mktemp("crawl-log")
    )
    return VoiceSite(site.id, site.name, site.key, bakery_url, alice.tenant.id)


VOICE_ENV = {
    "SITESPEAK_VOICE_PRELOAD": "true",  # base_env turns it off for the tests that never speak
    "SITESPEAK_VOICE_TURNS_PER_MINUTE": "5",
    "SITESPEAK_VOICE_IP_TURNS_PER_MINUTE": "1000",
    "SITESPEAK_VOICE_MAX_FRAME_BYTES": "16000",
}


@pytest.fixture(scope="session")
def voice_web(base_env, voice_site, tmp_path_factory) -> Proc:
    proc = start_web({**base_env, **VOICE_ENV}, tmp_path_factory.mktemp("voice-web"), 60)
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def second_web(base_env, voice_site, tmp_path_factory) -> Proc:
    proc = start_web({**base_env, **VOICE_ENV}, tmp_path_factory.mktemp("voice-web2"), 60)
    yield proc
    proc.stop()
