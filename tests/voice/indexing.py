"""Index the test site through the knowledge base's own `crawl SITE` command (foreground).

Until that command lands, a stand-in writes the test site's paragraphs as chunks with the
knowledge base's own embedder, so retrieval runs its real code either way.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support.processes import ROOT


def index_site(env: dict, site_id: int, site_name: str, tenant: str, log_dir: Path) -> None:
    if os.environ.get("SITESPEAK_TEST_VOICE_INDEX") == "stand-in":
        _stand_in(site_id)
        return
    cmd = [sys.executable, "-m", "sitespeak", "crawl", site_name, "--tenant", tenant]
    done = subprocess.run(cmd, env={**os.environ, **env}, cwd=ROOT, capture_output=True,
                          text=True, timeout=240)
    (log_dir / "crawl.log").write_text(done.stdout + done.stderr)
    if done.returncode == 2 and "invalid choice: 'crawl'" in done.stderr:
        _stand_in(site_id)
        return
    if done.returncode != 0:
        raise RuntimeError(f"crawl failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _stand_in(site_id: int) -> None:
    from sitespeak.db.connection import database
    from sitespeak.db.models import Site
    from sitespeak.knowledge.embedders import LocalEmbedder
    from tests.voice.testsite import PAGES

    embedder = LocalEmbedder()
    with database.connection_context(), database.atomic():
        site = Site.get_by_id(site_id)
        base = site.start_urls[0]
        for path, html in PAGES.items():
            title = re.search(r"<title>(.*?)</title>", html).group(1)
            page_id = database.execute_sql(
                "INSERT INTO pages (tenant_id, site_id, url, title) VALUES (%s, %s, %s, %s) "
                "RETURNING id", (site.tenant_id, site_id, base + path, title)).fetchone()[0]
            for ord_, (anchor, heading, text) in enumerate(_sections(html)):
                vector = embedder.embed([f"{heading}\n{text}"])[0].astype("float32").tobytes()
                database.execute_sql(
                    "INSERT INTO chunks (tenant_id, site_id, page_id, ord, url, anchor, title, "
                    "heading, text, text_hash, embedding, embed_model) VALUES "
                    "(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                    (site.tenant_id, site_id, page_id, ord_, base + path, anchor, title, heading,
                     text, hashlib.sha256(text.encode()).hexdigest(), vector, embedder.name))
        database.execute_sql("UPDATE sites SET knowledge_version = knowledge_version + 1 "
                             "WHERE id = %s", (site_id,))


def _sections(html: str) -> list[tuple[str, str, str]]:
    body = html.split("<main>", 1)[1]
    out = []
    for match in re.finditer(r"<h\d(?: id=\"([^\"]+)\")?>(.*?)</h\d>(.*?)(?=<h\d|</main>)", body,
                             re.S):
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(3))).strip()
        out.append((match.group(1) or "", match.group(2), text))
    return out
