"""The instant answers page of a site is its tenant's: another tenant gets a 404, a viewer of
the tenant may read it."""

from __future__ import annotations

import uuid

from sitespeak.db.connection import database
from sitespeak.instant.prepared_set import Prepared, replace_set
from sitespeak.sites import create_site


def _site_with_a_prepared_answer(tenant_id: int) -> int:
    with database.connection_context():
        site = create_site(tenant_id, f"Instant {uuid.uuid4().hex[:6]}", ["https://i.example/"])
        answer = Prepared("Where are you?", "Where are you?", [], "At 1 Mill Lane.")
        replace_set(tenant_id, site.id, site.knowledge_version, [answer])
        return site.id


async def test_another_tenant_gets_no_instant_answers_page_and_a_viewer_reads_it(
    alice, bob, charlie, login
):
    site_id = _site_with_a_prepared_answer(alice.tenant.id)
    response, _ = await (await login(charlie)).get(f"/admin/sites/{site_id}/instant")
    assert response.status_code == 404
    response, body = await (await login(bob)).get(f"/admin/sites/{site_id}/instant")
    assert response.status_code == 200 and "At 1 Mill Lane." in body
