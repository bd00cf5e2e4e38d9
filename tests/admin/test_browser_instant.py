"""A site's instant answers page in Chromium against a real web process: the prepared set with
whether each was prepared at the site's current knowledge, and the share of the site's turns
answered instantly; nothing of it for another tenant."""

from __future__ import annotations

import uuid

import pytest

from sitespeak.db.connection import database
from sitespeak.db.models import Site
from sitespeak.instant.prepared_set import Prepared, replace_set
from sitespeak.sites import create_site
from sitespeak.tenancy.tenants import get_tenant
from sitespeak.voice import conversations
from tests.admin.test_browser import web  # noqa: F401 - a fixture
from tests.support.browser import needs_chromium, shot, sign_in_owner

pytestmark = [pytest.mark.slow, needs_chromium]
TENANT = "Instant Co"


def _turn(seq: int, instant: bool) -> dict:
    timings = {"eos_to_first_audio_ms": 40.0} | ({"instant": 1.0} if instant else {})
    return {"seq": seq, "input_mode": "speech", "transcript": "Q?", "answer": "A.",
            "covered": True, "citations": [], "timings": timings}  # fmt: skip


def _turns(tenant_id: int, site_id: int, instant: list[bool]) -> None:
    session = f"instant-{site_id}-{uuid.uuid4().hex[:6]}"
    conversations.open_session(session, tenant_id, site_id, "", "en", "", {})
    for seq, flag in enumerate(instant, 1):
        conversations.record_turn(session, tenant_id, site_id, _turn(seq, flag))


@pytest.fixture(scope="module")
def owner(web, browser):  # noqa: F811 - the fixtures imported above
    page = sign_in_owner(web, browser, TENANT)
    with database.connection_context(), database.atomic():  # committed for the web process
        tenant = get_tenant(TENANT)
        site = create_site(tenant.id, f"Instant {uuid.uuid4().hex[:6]}", ["https://i.example/"])
        other = create_site(tenant.id, f"Other {uuid.uuid4().hex[:6]}", ["https://o.example/"])
        phone = Prepared("What is your phone number?", "q", [], "Call us on 555 0100.")
        hours = Prepared("What are your opening hours?", "r", [], "We open at 7 am.")
        replace_set(tenant.id, site.id, site.knowledge_version, [phone, hours])
        _turns(tenant.id, site.id, [True, True, True, False])
        _turns(tenant.id, other.id, [False, False])  # another site's turns count for it alone
    yield page, site
    page.context.close()


def test_the_owner_sees_the_prepared_set_and_the_hit_rate(web, owner):  # noqa: F811
    page, site = owner
    page.goto(f"{web.url}/admin/sites/{site.id}")
    page.click(".subnav >> text=Instant answers")
    assert page.locator("[data-n=turns]").inner_text() == "4"
    assert page.locator("[data-n=instant]").inner_text() == "3"
    assert page.locator("[data-n=rate]").inner_text() == "75.0%"
    rows = page.locator("table.prepared tbody tr").all_inner_texts()
    assert len(rows) == 2
    assert "What is your phone number?" in rows[0] and "555 0100" in rows[0]
    assert all("current" in row for row in rows)
    shot(page, "admin-instant-answers.png")

    with database.connection_context():  # the site's knowledge changes: the set is outdated
        Site.update(knowledge_version=Site.knowledge_version + 1).where(
            Site.id == site.id
        ).execute()
    page.reload()
    assert page.locator("table.prepared .pill").all_inner_texts() == ["outdated", "outdated"]
