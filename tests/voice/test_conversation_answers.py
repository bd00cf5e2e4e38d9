"""The answerer inside a live session: the site's greeting first, follow-ups understood from
the session's last turn (and said so in the turn record), and content gaps only for what the
site really lacks."""

from __future__ import annotations

import asyncio

import pytest

from sitespeak.analytics.conversations import top_questions
from sitespeak.db.connection import database
from sitespeak.sites import get_site
from sitespeak.sites.voice_options import VoiceOptions, set_voice_options, voice_options
from tests.voice.client import ask_text, open_session

pytestmark = pytest.mark.slow


async def test_the_session_opens_with_the_sites_greeting(voice_web, voice_site):
    ws, ready = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    await ws.close()
    assert ready["greeting"] == "Hi! Ask me anything about Sunrise Bakery."
    with database.connection_context():
        before = voice_options(get_site(voice_site.tenant_id, voice_site.id))
        set_voice_options(
            voice_site.tenant_id,
            voice_site.id,
            VoiceOptions(greeting="Welcome to Sunrise!", persona="", providers=before.providers),
        )
    try:
        ws, ready = await open_session(voice_web.url, voice_site.origin, voice_site.key)
        await ws.close()
        assert ready["greeting"] == "Welcome to Sunrise!"
    finally:
        with database.connection_context():
            set_voice_options(voice_site.tenant_id, voice_site.id, before)


async def test_an_elliptical_follow_up_is_answered_about_the_day_it_names(voice_web, voice_site):
    ws, _ = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    first = await ask_text(ws, "When do you open on Sunday?")
    assert "9 am" in first.done["text"], first.done["text"]
    second = await ask_text(ws, "And on Saturday?")
    assert "8 am" in second.done["text"] and second.done["covered"], second.done["text"]
    await ws.close()


async def test_only_questions_the_site_lacks_become_content_gaps(voice_web, voice_site):
    ws, _ = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    lacking = await ask_text(ws, "Do you deliver wedding flowers?")
    found = await ask_text(ws, "Where is your shop?")
    await ws.close()
    assert not lacking.done["covered"] and found.done["covered"], found.done["text"]
    assert "Harbour Street" in found.done["text"]
    for _ in range(50):  # the turn rows are written just after response.done
        with database.connection_context():
            gaps = dict(top_questions(voice_site.tenant_id, voice_site.id, uncovered_only=True))
        if "do you deliver wedding flowers" in gaps:
            break
        await asyncio.sleep(0.1)
    assert "do you deliver wedding flowers" in gaps and "where is your shop" not in gaps
