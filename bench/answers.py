"""Answer-quality report: every test site of tests/answers/sites (or of ``--sites DIR``) crawled
and indexed into a fresh database, its question set asked through the voice turn's steps
(offline: the local embedder and the extractive answerer), and per set the hit rate (right fact,
right citation), navigation, declines, follow-ups and the mean spoken words. ``-v`` lists every
miss."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from _stack import bench_services, settings_for

from sitespeak import sites
from sitespeak.crawl.refresh import crawl_foreground
from sitespeak.db.connection import database
from sitespeak.knowledge.embedders import LocalEmbedder
from sitespeak.tenancy.tenants import create_tenant
from tests.support.answer_quality import SITES, evaluate, serve_site, site_names


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    parser.add_argument(
        "--sites",
        type=Path,
        default=SITES,
        help="a folder of sites (<name>/ with its pages and questions.json); "
        "bench/blind_sites holds sets written without reading the answerer",
    )
    opts = parser.parse_args()
    root = opts.sites.resolve()
    embedder = LocalEmbedder()
    with bench_services() as (found, state):
        settings = settings_for(found, state)
        with database.connection_context():
            tenant, _ = create_tenant("bench")
        for name in site_names(root):
            with serve_site(name, root) as url, database.connection_context():
                site = sites.create_site(tenant.id, name, [url + "/"], True, privileged=True)
                crawl_foreground(site, settings, lambda *event: None)
                report = evaluate(name, site.id, url, embedder, root)
            spoken = [o.spoken_words for o in report.of("question") if o.ok]
            print(
                f"{name}: answered right and cited {_share(report, 'question')} (retrieval "
                f"top-3 {_share(report, 'top3')}), "
                f"navigation {_share(report, 'navigation')}, declined "
                f"{_share(report, 'decline')}, follow-ups {_share(report, 'followup')}; "
                f"mean spoken words {sum(spoken) / max(len(spoken), 1):.1f}"
            )
            if opts.verbose:
                for miss in report.failures():
                    print(f"  miss [{miss.kind}] {miss.asked!r} -> {miss.said!r} ({miss.cited})")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def _share(report, kind: str) -> str:
    done = report.of(kind)
    return f"{sum(o.ok for o in done)}/{len(done)}"


if __name__ == "__main__":
    main()
