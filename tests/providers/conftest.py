"""Provider fixtures: the fake OpenAI server, the bakery site indexed twice (one site on the
OpenAI pipeline, one on the Realtime bridge), a secret key file, and two web replicas that point
at the fake through the real ``openai`` package."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest

from sitespeak.db.connection import database
from sitespeak.db.models import Site
from sitespeak.sites import create_site
from tests.support.fake_openai import FakeOpenAI, serve_fake_openai
from tests.support.processes import Proc, start_web
from tests.voice.indexing import index_site
from tests.voice.testsite import serve_site

PIPELINE = {"stt": "openai", "answerer": "openai", "tts": "openai"}


@dataclass(frozen=True)
class ProviderSite:
    id: int
    key: str
    origin: str
    tenant_id: int


@pytest.fixture(scope="session")
def fake_openai() -> FakeOpenAI:
    with serve_fake_openai() as fake:
        yield fake


@pytest.fixture()
def fake(fake_openai: FakeOpenAI) -> FakeOpenAI:
    fake_openai.reset()
    yield fake_openai
    fake_openai.reset()


@pytest.fixture(scope="session")
def api_key(tmp_path_factory) -> tuple[str, str]:
    """(the secret, the file holding it): the key reaches the web process only as a file."""
    key = "sk-sitespeak-test-" + secrets.token_hex(16)
    path = tmp_path_factory.mktemp("secrets") / "openai_key"
    path.write_text(key + "\n")
    return key, str(path)


@pytest.fixture(scope="session")
def site_url() -> str:
    with serve_site() as url:
        yield url


def _site(alice, url: str, name: str, providers: dict, base_env, log_dir) -> ProviderSite:
    with database.connection_context():
        site = create_site(alice.tenant.id, name, [url], allow_private=True, privileged=True)
        Site.update(options={"providers": providers}).where(Site.id == site.id).execute()
    index_site(base_env, site.id, site.name, alice.tenant.name, log_dir)
    return ProviderSite(site.id, site.key, url, alice.tenant.id)


@pytest.fixture(scope="session")
def openai_site(services, alice, site_url, base_env, tmp_path_factory) -> ProviderSite:
    return _site(
        alice,
        site_url,
        "Bakery on OpenAI",
        PIPELINE,
        base_env,
        tmp_path_factory.mktemp("crawl-openai"),
    )


@pytest.fixture(scope="session")
def realtime_site(services, alice, site_url, base_env, tmp_path_factory) -> ProviderSite:
    return _site(
        alice,
        site_url,
        "Bakery on Realtime",
        {"realtime": True},
        base_env,
        tmp_path_factory.mktemp("crawl-realtime"),
    )


@pytest.fixture(scope="session")
def provider_env(base_env, fake_openai, api_key) -> dict[str, str]:
    return {
        **base_env,
        "SITESPEAK_OPENAI_BASE_URL": fake_openai.url,
        "SITESPEAK_OPENAI_REALTIME_URL": fake_openai.realtime_url,
        "SITESPEAK_OPENAI_API_KEY_FILE": api_key[1],
        # Far above a healthy round trip to the fake, even on a loaded box: a turn that ran
        # past 1.5 s fell back to the local answerer where a test wanted the provider's.
        "SITESPEAK_OPENAI_FIRST_TOKEN_BUDGET": "5",
        "SITESPEAK_VOICE_PRELOAD": "false",
        "SITESPEAK_VOICE_PARTIAL_INTERVAL_MS": "0",
        "SITESPEAK_VOICE_TURNS_PER_MINUTE": "30",
        "SITESPEAK_VOICE_IP_TURNS_PER_MINUTE": "1000",
        "SITESPEAK_KNOWLEDGE_CHECK_EVERY": "3600",  # only events refresh the cache
        # A never-started connection closes soon, yet not before a loaded box has sent the
        # session.start of every test that does start one.
        "SITESPEAK_VOICE_START_TIMEOUT": "15",
        "SITESPEAK_LOG_LEVEL": "debug",
    }


@pytest.fixture(scope="session")
def web_a(provider_env, openai_site, realtime_site, tmp_path_factory, speech_process) -> Proc:
    proc = start_web(provider_env, tmp_path_factory.mktemp("providers-web-a"), 60)
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def web_b(provider_env, openai_site, realtime_site, tmp_path_factory, speech_process) -> Proc:
    proc = start_web(provider_env, tmp_path_factory.mktemp("providers-web-b"), 60)
    yield proc
    proc.stop()
