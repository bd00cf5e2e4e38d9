"""Two web replicas, no sticky routing: a session resumed on the other replica (and over the
other transport) continues, and knowledge-base.updated reaches both."""

from __future__ import annotations

import httpx
import pytest
import redis

from sitespeak.db.connection import database
from sitespeak.events.bus import EventPublisher, EventType
from tests.providers.test_socketio import sio_visitor, start
from tests.support.processes import wait_for
from tests.voice.client import ask_text, open_session

pytestmark = pytest.mark.slow


async def test_a_websocket_session_resumes_over_socketio_on_the_other_replica(
    web_a, web_b, openai_site, fake
):
    ws, ready = await open_session(web_a.url, openai_site.origin, openai_site.key)
    await ask_text(ws, "Where is the shop?")
    await ws.close()
    visitor = await sio_visitor(web_b.url, openai_site.origin)
    resumed = await start(
        visitor, openai_site.key, openai_site.origin, resume_id=ready["resume_id"]
    )
    assert resumed["resumed"] is True and resumed["session_id"] == ready["session_id"]
    await visitor.client.emit("input.text", {"text": "When do you close on Saturday?"})
    done = await visitor.wait_for("response.done")
    await visitor.client.disconnect()
    assert done["turn"] == 2 and "4 pm" in done["text"]
    history = fake.of("/chat/completions")[-1]["body"]["messages"]
    assert any(
        "Harbour Street" in (m.get("content") or "") for m in history if m["role"] == "assistant"
    ), "replica B answered with replica A's history"


def _version(web, site, persona) -> int:
    body = httpx.post(
        f"{web.url}/api/v1/sites/{site.id}/search",
        json={"query": "opening"},
        headers={"Authorization": f"Bearer {persona.token}"},
        timeout=10,
    ).json()
    return body["knowledge_version"]


def test_knowledge_base_updated_reaches_both_replicas(web_a, web_b, openai_site, alice, base_env):
    before = {_version(web, openai_site, alice) for web in (web_a, web_b)}
    assert len(before) == 1
    with database.connection_context():
        database.execute_sql(
            "UPDATE sites SET knowledge_version = knowledge_version + 1 WHERE id = %s",
            (openai_site.id,),
        )
    # The cache re-checks only on events here (SITESPEAK_KNOWLEDGE_CHECK_EVERY=3600).
    assert {_version(web, openai_site, alice) for web in (web_a, web_b)} == before
    client = redis.Redis.from_url(base_env["REDIS_URL"])
    EventPublisher(client, base_env["SITESPEAK_REDIS_PREFIX"]).publish(
        EventType.KNOWLEDGE_UPDATED, openai_site.tenant_id, {"site_id": openai_site.id}
    )
    new = before.pop() + 1
    for web in (web_a, web_b):
        wait_for(
            lambda web=web: _version(web, openai_site, alice) == new,
            10,
            0.2,
            f"{web.url} to reload the site's knowledge",
        )
