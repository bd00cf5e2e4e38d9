"""The OpenAI answerer gets what the local one uses: the site's persona in its system prompt
and the conversation's last turns, so a follow-up reaches the model with its context."""

from __future__ import annotations

import pytest

from tests.support.site_voice import change_voice, restore_voice
from tests.voice.client import ask_text, open_session

pytestmark = pytest.mark.slow
PERSONA = "You are Ada, the bakery's formal assistant."


async def test_the_model_is_told_the_persona_and_the_previous_turn(
    web_a, openai_site, fake, settings
):
    before = change_voice(settings, openai_site.id, persona=PERSONA)
    try:
        ws, ready = await open_session(web_a.url, openai_site.origin, openai_site.key)
        assert ready["greeting"] == "Good day, I am Ada. How may I help you with Bakery on OpenAI?"
        await ask_text(ws, "What time do you open on Sunday?")
        fake.requests.clear()
        await ask_text(ws, "And on Saturday?")
        await ws.close()
    finally:
        restore_voice(settings, openai_site.id, before)
    messages = fake.of("/chat/completions")[0]["body"]["messages"]
    system = messages[0]["content"]
    assert "Your name is Ada." in system and PERSONA in system and "formal" in system
    asked = [m["content"] for m in messages if m["role"] == "user"]
    assert asked == ["What time do you open on Sunday?", "And on Saturday?"]
