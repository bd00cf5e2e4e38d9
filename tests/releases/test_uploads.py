"""A hosted site's upload is a run like a crawl: its pages become a candidate release the same
way, and the gate holds an upload that dropped most of the live pages."""

from __future__ import annotations

import uuid

from sitespeak import sites
from sitespeak.hosting import registry
from sitespeak.knowledge.indexing import embed_site
from sitespeak.releases.candidates import build_candidate
from tests.hosting.conftest import publish_path, write_site
from tests.hosting.test_knowledge_and_purge import ingest


def test_an_upload_builds_a_candidate_and_one_losing_most_pages_is_held(
    db,
    alice,
    host_settings,
    tmp_path,
    local,
    events,
):
    site = sites.create_site(alice.tenant.id, f"up-{uuid.uuid4().hex[:6]}", ["https://up.test/"])
    hosted = registry.enable(alice.tenant.id, site.id)

    publish_path(host_settings, hosted, write_site(tmp_path / "one", extra_pages=4))
    run = ingest(host_settings, site, hosted)["run_id"]
    embed_site(site.id, local)
    first = build_candidate(site.id, run, host_settings, events, source="upload")
    assert first is not None and first.state == "live" and first.source == "upload"
    assert first.stats["pages"] == 6

    publish_path(host_settings, hosted, write_site(tmp_path / "two", extra_pages=0))
    run = ingest(host_settings, site, hosted)["run_id"]
    embed_site(site.id, local)
    second = build_candidate(site.id, run, host_settings, events, source="upload")
    assert second is not None and second.state == "held"
    assert second.diff["counts"]["removed"] == 4
    assert build_candidate(site.id, run, host_settings, events) == second  # once per run
