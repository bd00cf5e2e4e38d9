"""Voice conversations: one row per session, one per turn with its timings, scoped to tenant
and site (for the admin UI and analytics)."""

SQL = """
CREATE TABLE voice_sessions (
    id            TEXT PRIMARY KEY,
    tenant_id     BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    site_id       BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    page_url      TEXT NOT NULL DEFAULT '',
    locale        TEXT NOT NULL DEFAULT 'en-US',
    client_ip     TEXT NOT NULL DEFAULT '',
    provider      JSONB NOT NULL DEFAULT '{}',
    turn_count    INTEGER NOT NULL DEFAULT 0,
    connections   INTEGER NOT NULL DEFAULT 1,
    started_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_turn_at  TIMESTAMPTZ,
    ended_at      TIMESTAMPTZ
);
CREATE INDEX voice_sessions_site ON voice_sessions (tenant_id, site_id, started_at DESC);

CREATE TABLE voice_turns (
    id           BIGSERIAL PRIMARY KEY,
    session_id   TEXT NOT NULL REFERENCES voice_sessions(id) ON DELETE CASCADE,
    tenant_id    BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    site_id      BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    input_mode   TEXT NOT NULL CHECK (input_mode IN ('speech', 'text')),
    transcript   TEXT NOT NULL DEFAULT '',
    answer       TEXT NOT NULL DEFAULT '',
    covered      BOOLEAN NOT NULL DEFAULT false,
    interrupted  BOOLEAN NOT NULL DEFAULT false,
    citations    JSONB NOT NULL DEFAULT '[]',
    actions      JSONB NOT NULL DEFAULT '[]',
    timings      JSONB NOT NULL DEFAULT '{}',
    provider     JSONB NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (session_id, seq)
);
CREATE INDEX voice_turns_site ON voice_turns (tenant_id, site_id, created_at DESC);
"""
