"""Releases of the assistant: what visitors are answered from is a site's live release, an
immutable set of chunks (with the action catalog and voice settings it was built with), so a
crawl can no longer change answers until its candidate passes the safety gate, and a rollback is
one pointer update.

Chunks become append-only per content: a crawl retires (``retired``) the chunks of a changed or
removed page that some release still holds instead of deleting them, and deletes the others.
``release_chunks.chunk_id`` has no ON DELETE action on purpose: deleting a chunk a release
holds is an error, not a silently emptier release (checked at commit, so deleting a whole
site or tenant, whose releases go in the same cascade, is fine). Every existing site with
chunks gets release 1, live, made of its current chunks, so upgrading changes no answer."""

SQL = """
CREATE TABLE knowledge_releases (
    id           BIGSERIAL PRIMARY KEY,
    tenant_id    BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    site_id      BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    state        TEXT NOT NULL
                 CHECK (state IN ('candidate', 'held', 'live', 'archived', 'discarded')),
    source       TEXT NOT NULL DEFAULT 'crawl',
    crawl_run_id BIGINT REFERENCES crawl_runs(id) ON DELETE SET NULL,
    stats        JSONB NOT NULL DEFAULT '{}',
    diff         JSONB NOT NULL DEFAULT '{}',
    held_because JSONB NOT NULL DEFAULT '[]',
    actions      JSONB NOT NULL DEFAULT '[]',
    voice        JSONB NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ,
    published_by TEXT,
    pruned_at    TIMESTAMPTZ,
    UNIQUE (site_id, number)
);
CREATE UNIQUE INDEX knowledge_releases_run ON knowledge_releases (crawl_run_id);

CREATE TABLE release_chunks (
    release_id BIGINT NOT NULL REFERENCES knowledge_releases(id) ON DELETE CASCADE,
    chunk_id   BIGINT NOT NULL REFERENCES chunks(id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (release_id, chunk_id)
);
CREATE INDEX release_chunks_chunk ON release_chunks (chunk_id);

ALTER TABLE chunks ADD COLUMN retired BOOLEAN NOT NULL DEFAULT false;
-- A page's place numbers are unique among its current chunks only: retired ones keep theirs.
ALTER TABLE chunks DROP CONSTRAINT chunks_page_id_ord_key;
CREATE UNIQUE INDEX chunks_page_ord_current ON chunks (page_id, ord) WHERE NOT retired;
ALTER TABLE sites ADD COLUMN live_release_id BIGINT
    REFERENCES knowledge_releases(id) ON DELETE SET NULL;

INSERT INTO knowledge_releases (tenant_id, site_id, number, state, stats, published_at,
                                published_by)
SELECT s.tenant_id, s.id, 1, 'live',
       jsonb_build_object('pages', count(DISTINCT c.page_id), 'chunks', count(c.id),
                          'failed', 0),
       now(), 'upgrade'
FROM sites s JOIN chunks c ON c.site_id = s.id
GROUP BY s.id, s.tenant_id;
INSERT INTO release_chunks (release_id, chunk_id)
SELECT r.id, c.id FROM knowledge_releases r JOIN chunks c ON c.site_id = r.site_id;
UPDATE sites s SET live_release_id = r.id FROM knowledge_releases r WHERE r.site_id = s.id;
"""
