"""The OpenAI answerer gets what the local one uses: the site's persona in its system prompt
and the conversation's last turns, so a follow-up reaches the model with its context."""

from __future__ import annotations

import pytest

from sitespeak.db.connection import database
from sitespeak.db.models import Site
from tests.voice.client import ask_text, open_session

pytestmark = pytest.mark.slow
PERSONA = "You are Ada, the bakery's formal assistant."


async def test_the_model_is_told_the_persona_and_the_previous_turn(web_a, openai_site, fake):
    with database.connection_context():
        before = Site.get_by_id(openai_site.id).options
        Site.update(options={**before, "persona": PERSONA}).where(
            Site.id == openai_site.id
        ).execute()
    try:
        ws, ready = await open_session(web_a.url, openai_site.origin, openai_site.key)
        assert ready["greeting"] == "Good day, I am Ada. How may I help you with Bakery on OpenAI?"
        await ask_text(ws, "What time do you open on Sunday?")
        fake.requests.clear()
        await ask_text(ws, "And on Saturday?")
        await ws.close()
    finally:
        with database.connection_context():
            Site.update(options=before).where(Site.id == openai_site.id).execute()
    messages = fake.of("/chat/completions")[0]["body"]["messages"]
    system = messages[0]["content"]
    assert "Your name is Ada." in system and PERSONA in system and "formal" in system
    asked = [m["content"] for m in messages if m["role"] == "user"]
    assert asked == ["What time do you open on Sunday?", "And on Saturday?"]
