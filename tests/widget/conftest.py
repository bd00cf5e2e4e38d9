"""Widget fixtures: the embedding bakery site (crawled through the knowledge base's own
command), a second origin the site does not allow, a real web process, and Debian's Chromium
driven by Playwright with a generated WAV as its microphone."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import pytest

from sitespeak.db.connection import database
from sitespeak.sites import create_site
from tests.support.browser import chromium, watched_tab
from tests.support.processes import Proc, start_web
from tests.voice.indexing import index_site
from tests.widget.site import Embed, Request, Served, serve

QUESTION = "what time do you open on sunday"


@dataclass(frozen=True)
class WidgetSite:
    id: int
    key: str
    url: str  # the allowed origin, serving the embedding pages
    foreign: str  # the same pages on an origin the site does not allow
    orders: list[str]
    requests: list[Request]  # what the allowed origin was asked for


@pytest.fixture(scope="session")
def embed() -> Embed:
    return Embed()


@pytest.fixture(scope="session")
def bakery(embed) -> Served:
    with serve(embed) as served:
        yield served


@pytest.fixture(scope="session")
def foreign(embed) -> Served:
    with serve(embed) as served:
        yield served


@pytest.fixture(scope="session")
def widget_site(services, alice, bakery, foreign, base_env, tmp_path_factory) -> WidgetSite:
    with database.connection_context():
        site = create_site(
            alice.tenant.id,
            "Widget Bakery",
            [bakery.url + "/"],
            allow_private=True,
            privileged=True,
        )
    index_site(
        base_env, site.id, site.name, alice.tenant.name, tmp_path_factory.mktemp("widget-crawl")
    )
    return WidgetSite(site.id, site.key, bakery.url, foreign.url, bakery.orders, bakery.requests)


WEB_ENV = {"SITESPEAK_VOICE_TURNS_PER_MINUTE": "30", "SITESPEAK_VOICE_IP_TURNS_PER_MINUTE": "1000"}


@pytest.fixture(scope="session")
def widget_web(base_env, widget_site, embed, tmp_path_factory, speech_process) -> Proc:
    proc = start_web({**base_env, **WEB_ENV}, tmp_path_factory.mktemp("widget-web"), 60)
    embed.web_url, embed.site_key = proc.url, widget_site.key
    yield proc
    proc.stop()


def write_wav(path: Path, pcm16k: bytes) -> None:
    """Mono s16 16 kHz, with 0.5 s of silence first: Chromium drops the first 40-60 ms."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x00" * 8000 + pcm16k)


@pytest.fixture(scope="session")
def question_wav(tmp_path_factory) -> Path:
    from tests.voice.speech import speech

    path = tmp_path_factory.mktemp("wav") / "question.wav"
    write_wav(path, speech(QUESTION, tail_ms=1500))
    return path


@pytest.fixture(scope="session")
def browser(question_wav):
    """Chromium whose microphone plays the question once, allowed to play audio unasked."""
    with chromium(
        "--autoplay-policy=no-user-gesture-required",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-audio-capture={question_wav.resolve()}%noloop",
    ) as found:
        yield found


@pytest.fixture()
def page(browser, widget_web):
    """A fresh tab (own sessionStorage); page errors are collected in ``tab.errors``."""
    with watched_tab(browser) as tab:
        yield tab
