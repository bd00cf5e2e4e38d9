"""The answerer inside a live session: the site's greeting first, follow-ups understood from
the session's last turn (and said so in the turn record), and content gaps only for what the
site really lacks."""

from __future__ import annotations

import asyncio

import pytest

from sitespeak.analytics.conversations import top_questions
from sitespeak.db.connection import database
from tests.support.site_voice import change_voice, restore_voice
from tests.voice.client import ask_text, open_session

pytestmark = pytest.mark.slow


async def test_the_session_opens_with_the_sites_greeting(voice_web, voice_site, settings):
    ws, ready = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    await ws.close()
    assert ready["greeting"] == "Hi! Ask me anything about Sunrise Bakery."
    # As the owner saves it: a site with a live release serves that release's voice options.
    before = change_voice(settings, voice_site.id, greeting="Welcome to Sunrise!", persona="")
    try:
        ws, ready = await open_session(voice_web.url, voice_site.origin, voice_site.key)
        await ws.close()
        assert ready["greeting"] == "Welcome to Sunrise!"
    finally:
        restore_voice(settings, voice_site.id, before)


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
    for _ in range(600):  # the turn rows are written just after response.done (~60 s)
        with database.connection_context():
            gaps = dict(top_questions(voice_site.tenant_id, voice_site.id, uncovered_only=True))
        if "do you deliver wedding flowers" in gaps:
            break
        await asyncio.sleep(0.1)
    assert "do you deliver wedding flowers" in gaps and "where is your shop" not in gaps
