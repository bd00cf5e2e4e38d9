"""Sites hosted on the box: one hosting record per site (its label under the hosted-sites domain,
its custom host names, its CDN purge hooks and their secret, how many releases to keep) and the
releases built from each upload. The files of a release live in the state dir
(``sitespeak/hosting/layout.py``); these rows say who published what, when, and how it ended."""

SQL = """
CREATE TABLE hosted_sites (
    site_id        BIGINT PRIMARY KEY REFERENCES sites(id) ON DELETE CASCADE,
    tenant_id      BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    label          TEXT NOT NULL UNIQUE,
    purge_hooks    JSONB NOT NULL DEFAULT '[]',
    hook_results   JSONB NOT NULL DEFAULT '{}',
    secret         TEXT NOT NULL,
    keep_releases  INTEGER NOT NULL DEFAULT 5 CHECK (keep_releases BETWEEN 1 AND 100),
    embed_position TEXT NOT NULL DEFAULT 'body-end'
                   CHECK (embed_position IN ('head-end', 'body-end')),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX hosted_sites_tenant ON hosted_sites (tenant_id);

-- One row per name: unique across the instance, so two sites never answer the same host.
CREATE TABLE hosted_hostnames (
    hostname   TEXT PRIMARY KEY,
    site_id    BIGINT NOT NULL REFERENCES hosted_sites(site_id) ON DELETE CASCADE,
    tenant_id  BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX hosted_hostnames_site ON hosted_hostnames (site_id);

CREATE TABLE hosted_releases (
    id           BIGSERIAL PRIMARY KEY,
    tenant_id    BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    site_id      BIGINT NOT NULL REFERENCES hosted_sites(site_id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    state        TEXT NOT NULL DEFAULT 'building'
                 CHECK (state IN ('building', 'live', 'archived', 'failed')),
    source       TEXT NOT NULL,
    source_kind  TEXT NOT NULL CHECK (source_kind IN ('folder', 'zip', 'tar')),
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at  TIMESTAMPTZ,
    file_count   INTEGER NOT NULL DEFAULT 0,
    bytes        BIGINT NOT NULL DEFAULT 0,
    digest       TEXT NOT NULL DEFAULT '',
    error        TEXT,
    pruned_at    TIMESTAMPTZ,
    UNIQUE (site_id, number)
);
CREATE INDEX hosted_releases_tenant ON hosted_releases (tenant_id, site_id, number DESC);
"""
