"""Visitor analytics: the widget's raw events (deduplicated by the client's id per event), the
rollups per site per hour and per day that the charts and dashboards read, and the weekly
reports. Raw events are kept for the retention period; rollups are kept for good."""

SQL = """
CREATE TABLE analytics_events (
    id           BIGSERIAL PRIMARY KEY,
    tenant_id    BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    site_id      BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    client_id    TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    data         JSONB NOT NULL DEFAULT '{}',
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (site_id, client_id)
);
CREATE INDEX analytics_events_site_at ON analytics_events (site_id, at);
CREATE INDEX analytics_events_at ON analytics_events (at);

CREATE TABLE analytics_rollups (
    tenant_id          BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    site_id            BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    grain              TEXT NOT NULL CHECK (grain IN ('hour', 'day')),
    bucket             TIMESTAMPTZ NOT NULL,
    sessions           INTEGER NOT NULL DEFAULT 0,
    panel_opens        INTEGER NOT NULL DEFAULT 0,
    mic_starts         INTEGER NOT NULL DEFAULT 0,
    questions          INTEGER NOT NULL DEFAULT 0,
    questions_spoken   INTEGER NOT NULL DEFAULT 0,
    questions_typed    INTEGER NOT NULL DEFAULT 0,
    answers_played     INTEGER NOT NULL DEFAULT 0,
    turns              INTEGER NOT NULL DEFAULT 0,
    answered           INTEGER NOT NULL DEFAULT 0,
    declined           INTEGER NOT NULL DEFAULT 0,
    thumbs_up          INTEGER NOT NULL DEFAULT 0,
    thumbs_down        INTEGER NOT NULL DEFAULT 0,
    citations_clicked  INTEGER NOT NULL DEFAULT 0,
    actions_performed  INTEGER NOT NULL DEFAULT 0,
    actions_refused    INTEGER NOT NULL DEFAULT 0,
    sessions_ended     INTEGER NOT NULL DEFAULT 0,
    feedback_p50       REAL,
    feedback_p95       REAL,
    audio_p50          REAL,
    audio_p95          REAL,
    top_questions      JSONB NOT NULL DEFAULT '[]',
    gaps               JSONB NOT NULL DEFAULT '[]',
    top_pages          JSONB NOT NULL DEFAULT '[]',
    computed_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, grain, bucket)
);
CREATE INDEX analytics_rollups_tenant ON analytics_rollups (tenant_id, grain, bucket);

-- (site, bucket) pairs whose rollups must be recomputed: written with the events, drained by
-- the rollup job (several at once: FOR UPDATE SKIP LOCKED).
CREATE TABLE analytics_dirty (
    site_id  BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    bucket   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (site_id, bucket)
);

CREATE TABLE analytics_reports (
    id            BIGSERIAL PRIMARY KEY,
    tenant_id     BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    site_id       BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    week_start    DATE NOT NULL,
    body          JSONB NOT NULL,
    emailed_to    TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (site_id, week_start)
);

CREATE TABLE analytics_subscriptions (
    site_id     BIGINT PRIMARY KEY REFERENCES sites(id) ON DELETE CASCADE,
    tenant_id   BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
"""
