"""The page-action catalog of a freshly crawled site, asked for by several voice turns at once
(each turn vets its answer's actions): one builds it, the others wait and use it."""

from __future__ import annotations

import threading

from sitespeak.actions.catalog import enabled_actions
from sitespeak.crawl.run import crawl_site
from sitespeak.db.connection import database


def test_concurrent_first_turns_build_the_action_catalog_once_without_failing(
    alice, testsite, make_site, kb_settings
):
    site = make_site(alice.tenant, testsite.url)
    crawl_site(site, kb_settings)
    start, failures, found = threading.Barrier(6), [], []

    def turn() -> None:
        start.wait()
        try:
            with database.connection_context():
                found.append(len(enabled_actions(site.id)))
        except Exception as exc:  # noqa: BLE001 - what a turn would have failed with
            failures.append(exc)

    threads = [threading.Thread(target=turn) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    assert len(found) == 6 and len(set(found)) == 1 and found[0] > 0
