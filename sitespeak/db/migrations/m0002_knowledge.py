"""Knowledge base: crawled pages (with their links, forms and actions), crawl runs with per-page
outcomes, and chunks with their full-text vector and embedding. Vectors are stored as float32
bytes (Debian's PostgreSQL has no pgvector) and searched in-process."""

SQL = """
ALTER TABLE sites ADD COLUMN knowledge_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sites ADD COLUMN last_crawl_at TIMESTAMPTZ;

CREATE TABLE pages (
    id              BIGSERIAL PRIMARY KEY,
    tenant_id       BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    site_id         BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    final_url       TEXT,
    canonical_url   TEXT,
    redirects       JSONB NOT NULL DEFAULT '[]',
    status          TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'failed', 'removed')),
    http_status     INTEGER,
    error           TEXT,
    title           TEXT NOT NULL DEFAULT '',
    lang            TEXT,
    etag            TEXT,
    last_modified   TEXT,
    sitemap_lastmod TEXT,
    content_hash    TEXT,
    depth           INTEGER NOT NULL DEFAULT 0,
    headings        JSONB NOT NULL DEFAULT '[]',
    links           JSONB NOT NULL DEFAULT '[]',
    forms           JSONB NOT NULL DEFAULT '[]',
    actions         JSONB NOT NULL DEFAULT '[]',
    fetched_at      TIMESTAMPTZ,
    changed_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (site_id, url)
);
CREATE INDEX pages_tenant_site ON pages (tenant_id, site_id);

CREATE TABLE crawl_runs (
    id           BIGSERIAL PRIMARY KEY,
    tenant_id    BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    site_id      BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    job_id       UUID UNIQUE,
    status       TEXT NOT NULL DEFAULT 'running'
                 CHECK (status IN ('running', 'succeeded', 'failed')),
    totals       JSONB NOT NULL DEFAULT '{}',
    error        TEXT,
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at  TIMESTAMPTZ
);
CREATE INDEX crawl_runs_site ON crawl_runs (site_id, id DESC);

CREATE TABLE crawl_outcomes (
    run_id       BIGINT NOT NULL REFERENCES crawl_runs(id) ON DELETE CASCADE,
    url          TEXT NOT NULL,
    outcome      TEXT NOT NULL
                 CHECK (outcome IN ('new', 'changed', 'unchanged', 'removed', 'failed')),
    reason       TEXT,
    http_status  INTEGER,
    not_modified BOOLEAN NOT NULL DEFAULT false,
    at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, url)
);

CREATE TABLE chunks (
    id           BIGSERIAL PRIMARY KEY,
    tenant_id    BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    site_id      BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    page_id      BIGINT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    ord          INTEGER NOT NULL,
    kind         TEXT NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'faq', 'fact')),
    url          TEXT NOT NULL,
    anchor       TEXT,
    title        TEXT NOT NULL DEFAULT '',
    heading      TEXT NOT NULL DEFAULT '',
    text         TEXT NOT NULL,
    text_hash    TEXT NOT NULL,
    tsv          TSVECTOR GENERATED ALWAYS AS (
                     setweight(to_tsvector('english', heading), 'A')
                     || setweight(to_tsvector('english', text), 'B')) STORED,
    embedding    BYTEA,
    embed_model  TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (page_id, ord)
);
CREATE INDEX chunks_site ON chunks (site_id, id);
CREATE INDEX chunks_tsv ON chunks USING GIN (tsv);
CREATE INDEX chunks_unembedded ON chunks (site_id) WHERE embedding IS NULL;
"""
