"""Sites, conversations and charts pages through the in-process app, on real PostgreSQL."""

from __future__ import annotations

import re
import uuid

from sitespeak import sites
from sitespeak.analytics import conversations as stats
from sitespeak.analytics import rollups
from sitespeak.db.connection import database
from sitespeak.sites import create_site
from sitespeak.voice import conversations
from tests.admin.conftest import log_in
from tests.voice.testsite import serve_site


def _site_with_turns(tenant_id: int, turns: list[dict]) -> tuple[int, str]:
    with database.connection_context():
        site = create_site(tenant_id, f"Stats {uuid.uuid4().hex[:6]}", ["https://stats.example/"])
        session_id = f"vs_{uuid.uuid4().hex}"
        conversations.open_session(
            session_id,
            tenant_id,
            site.id,
            "https://stats.example/",
            "en-US",
            "127.0.0.1",
            {"stt": "faster-whisper"},
        )
        for seq, turn in enumerate(turns, 1):
            conversations.record_turn(
                session_id, tenant_id, site.id, {"seq": seq, "input_mode": "text", **turn}
            )
    return site.id, session_id


def _turn(question: str, covered: bool, feedback: float, audio: float) -> dict:
    return {
        "transcript": question,
        "answer": "an answer",
        "covered": covered,
        "timings": {
            "eos_delay_ms": 0.0,
            "retrieval_ms": 12.0,
            "answer_ms": 3.0,
            "tts_first_audio_ms": audio - 20,
            "eos_to_started_ms": feedback,
            "eos_to_first_audio_ms": audio,
            "total_ms": audio + 100,
        },
    }


async def test_an_instance_admin_creates_a_private_site_and_gets_the_embed_snippet(
    app, instance_admin, settings
):
    browser = await log_in(app, instance_admin)
    name = f"Shop {uuid.uuid4().hex[:6]}"
    with serve_site() as shop:  # a start URL must be reachable when the site is saved
        response, _ = await browser.post(
            "/admin/sites",
            {
                "name": name,
                "start_urls": f"{shop}/\n{shop}/help",
                "allow_private": "on",
                "schedule": "daily",
                "max_pages": "50",
                "exclude": "/cart*",
            },
        )
    assert response.status_code == 303
    response, body = await browser.get(response.headers["Location"])
    assert response.status_code == 200 and name in body
    key = re.search(r"pk_[A-Za-z0-9_-]+", body).group(0)
    snippet = (
        f"&lt;script src=&#34;{settings.base_url}/widget.js&#34; "
        f"data-site-key=&#34;{key}&#34; async&gt;&lt;/script&gt;"
    )
    assert snippet in body
    assert f"{shop}/help" in body and "/cart*" in body


async def test_a_tenant_owner_cannot_allow_private_addresses_and_is_told_who_can(app, alice):
    browser = await log_in(app, alice.user.email)
    _, form = await browser.get("/admin/sites")
    assert 'name="allow_private"' not in form and "only an instance superuser" in form
    with serve_site() as shop:
        response, body = await browser.post(
            "/admin/sites", {"name": "Sneaky", "start_urls": shop, "allow_private": "on"}
        )
    assert response.status_code == 403
    assert "only an instance superuser (in the admin UI) or the operator" in body
    site_id, _ = _site_with_turns(alice.tenant.id, [])
    response, body = await browser.post(
        f"/admin/sites/{site_id}",
        {"name": "Sneaky", "start_urls": "https://stats.example/", "allow_private": "on"},
    )
    assert response.status_code == 403 and "only an instance superuser" in body
    with database.connection_context():
        assert not sites.get_site(alice.tenant.id, site_id).allow_private


async def test_a_private_start_url_is_refused_at_save_with_the_fix(app, alice):
    browser = await log_in(app, alice.user.email)
    with serve_site() as shop:
        response, body = await browser.post("/admin/sites", {"name": "Local", "start_urls": shop})
    assert response.status_code == 400
    assert "127.0.0.1 is a private address: allow private addresses for this site" in body


async def test_a_bad_start_url_is_refused_with_a_precise_message(app, alice):
    browser = await log_in(app, alice.user.email)
    response, body = await browser.post("/admin/sites", {"name": "Bad", "start_urls": "notaurl"})
    assert response.status_code == 422 and "start_urls.0" in body and "URL" in body


async def test_a_viewer_sees_sites_but_no_form_to_add_or_change_them(app, alice, bob):
    site_id, _ = _site_with_turns(alice.tenant.id, [])
    browser = await log_in(app, bob.user.email)
    _, body = await browser.get("/admin/sites")
    assert "Add a site" not in body
    _, body = await browser.get(f"/admin/sites/{site_id}")
    assert "Crawl now" not in body and "Delete site" not in body


async def test_a_conversation_shows_each_turns_latency_breakdown(app, alice):
    site_id, session_id = _site_with_turns(
        alice.tenant.id, [_turn("Where is the shop?", True, 2.0, 420.0)]
    )
    browser = await log_in(app, alice.user.email)
    _, body = await browser.get("/admin/conversations?site=" + str(site_id))
    assert session_id in body
    response, body = await browser.get(f"/admin/sites/{site_id}/conversations/{session_id}")
    assert response.status_code == 200 and "Where is the shop?" in body
    assert "first audio 420.0 ms" in body and "retrieval" in body and "<svg" in body


async def test_charts_show_percentiles_top_questions_and_content_gaps(app, alice):
    site_id, _ = _site_with_turns(
        alice.tenant.id,
        [
            _turn("Do you ship abroad?", False, 1.0, 100.0),
            _turn("do you ship abroad", False, 3.0, 300.0),
            _turn("Opening hours?", True, 5.0, 500.0),
        ],
    )
    with database.connection_context():
        latency = stats.latency_per_day(alice.tenant.id, site_id)
        gaps = stats.top_questions(alice.tenant.id, site_id, uncovered_only=True)
        top = stats.top_questions(alice.tenant.id, site_id)
    assert latency[0]["feedback_p50"] == 3.0 and latency[0]["audio_p50"] == 300.0
    assert latency[0]["audio_p95"] == 480.0  # percentile_cont interpolates: 300 + 0.9 * 200
    assert gaps == [("do you ship abroad", 2)]
    assert top[0] == ("do you ship abroad", 2) and ("opening hours", 1) in top
    with database.connection_context():
        rollups.run_pass()  # what the analytics worker does seconds after a turn
    browser = await log_in(app, alice.user.email)
    response, body = await browser.get(f"/admin/charts?site={site_id}")
    assert response.status_code == 200
    assert body.count('<svg class="chart"') == 4 and "<polyline" in body
    assert "do you ship abroad" in body
    assert '<dd data-n="turns">3</dd>' in body and '<dd data-n="declined">2</dd>' in body


def test_a_turns_stages_come_out_in_pipeline_order():
    stages = stats.stage_breakdown(
        {
            "answer_ms": 3,
            "stt_ms": 100.5,
            "total_ms": 9,
            "eos_delay_ms": 0,
            "tts_first_audio_ms": "x",
        }
    )
    assert stages == [("eos_delay", 0.0), ("stt", 100.5), ("answer", 3.0)]


async def test_voice_settings_are_saved_validated_and_keep_other_options(app, alice, db):
    from sitespeak.db.models import Site

    site_id, _ = _site_with_turns(alice.tenant.id, [])
    Site.update(options={"other": 1}).where(Site.id == site_id).execute()
    browser = await log_in(app, alice.user.email)
    response, _ = await browser.post(
        f"/admin/sites/{site_id}/voice",
        {
            "greeting": "Hello from the shop!",
            "persona": "brief",
            "tts": "openai",
            "voice": "alloy",
            "stt": "",
            "ack_sound": "on",
        },
    )
    assert response.status_code == 303
    options = Site.get_by_id(site_id).options
    assert options == {
        "other": 1,
        "greeting": "Hello from the shop!",
        "persona": "brief",
        "providers": {"tts": "openai", "voice": "alloy"},
        "ack_sound": True,
    }
    _, body = await browser.get(f"/admin/sites/{site_id}")
    assert 'value="Hello from the shop!"' in body
    assert 'name="ack_sound" checked' in body
    response, body = await browser.post(f"/admin/sites/{site_id}/voice", {"tts": "cloud"})
    assert response.status_code == 400 and "providers.tts" in body


async def test_the_acknowledgement_sound_is_on_until_the_owner_unticks_it(app, alice, db):
    from sitespeak.db.models import Site

    site_id, _ = _site_with_turns(alice.tenant.id, [])
    browser = await log_in(app, alice.user.email)
    _, body = await browser.get(f"/admin/sites/{site_id}")
    assert 'name="ack_sound" checked' in body  # a site that never saved voice settings
    response, _ = await browser.post(f"/admin/sites/{site_id}/voice", {"greeting": "Hi"})
    assert response.status_code == 303  # an unticked checkbox is not sent: off
    assert Site.get_by_id(site_id).options["ack_sound"] is False
    _, body = await browser.get(f"/admin/sites/{site_id}")
    assert 'name="ack_sound" >' in body


async def test_the_pages_list_filtered_by_an_outcome_keeps_that_outcome_selected(app, alice):
    site_id, _ = _site_with_turns(alice.tenant.id, [])
    browser = await log_in(app, alice.user.email)
    response, body = await browser.get(f"/admin/sites/{site_id}/pages?status=error")
    assert response.status_code == 200, body[:300]
    assert "<option selected>error</option>" in body
    assert "No pages with outcome error." in body
