"""Core tables: tenants, users and their roles, API tokens, sites, the job ledger."""

SQL = """
CREATE TABLE tenants (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id             BIGSERIAL PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL DEFAULT '',
    is_superuser   BOOLEAN NOT NULL DEFAULT false,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    id         BIGSERIAL PRIMARY KEY,
    tenant_id  BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
    UNIQUE (tenant_id, user_id)
);

CREATE TABLE api_tokens (
    id            BIGSERIAL PRIMARY KEY,
    tenant_id     BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name          TEXT NOT NULL DEFAULT '',
    token_hash    TEXT NOT NULL UNIQUE,
    prefix        TEXT NOT NULL,
    scopes        JSONB NOT NULL DEFAULT '["read", "write"]',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id);

CREATE TABLE sites (
    id               BIGSERIAL PRIMARY KEY,
    tenant_id        BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    start_urls       JSONB NOT NULL,
    scope            JSONB NOT NULL DEFAULT '{}',
    allowed_origins  JSONB NOT NULL DEFAULT '[]',
    key              TEXT NOT NULL UNIQUE,
    schedule         TEXT NOT NULL DEFAULT 'never'
                     CHECK (schedule IN ('never', 'hourly', 'daily', 'weekly')),
    allow_private    BOOLEAN NOT NULL DEFAULT false,
    options          JSONB NOT NULL DEFAULT '{}',
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);

CREATE TABLE jobs (
    id               UUID PRIMARY KEY,
    tenant_id        BIGINT REFERENCES tenants(id) ON DELETE CASCADE,
    queue            TEXT NOT NULL,
    name             TEXT NOT NULL,
    args             JSONB NOT NULL DEFAULT '{}',
    status           TEXT NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL DEFAULT 3,
    result           JSONB,
    last_error       TEXT,
    idempotency_key  TEXT,
    claim_token      TEXT,
    run_after        TIMESTAMPTZ NOT NULL DEFAULT now(),
    enqueued_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    heartbeat_at     TIMESTAMPTZ,
    started_at       TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- COALESCE so that instance-level jobs (no tenant) can use idempotency keys too.
CREATE UNIQUE INDEX jobs_idempotency ON jobs (COALESCE(tenant_id, 0), idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_tenant_created ON jobs (tenant_id, created_at DESC);
CREATE INDEX jobs_open ON jobs (status, heartbeat_at)
    WHERE status IN ('queued', 'running', 'failed');
"""
