"""Page-action catalog: what the assistant may do on a site's pages (navigate, fill or submit a
form, click an element), built from the crawl's links, forms and ``[data-action]`` elements. The
owner switches entries on and off; a rebuild keeps the owner's choice (``owner_set``)."""

SQL = """
CREATE TABLE site_actions (
    id          BIGSERIAL PRIMARY KEY,
    tenant_id   BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    site_id     BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('navigate', 'fill', 'submit', 'click')),
    url         TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    label       TEXT NOT NULL DEFAULT '',
    fields      JSONB NOT NULL DEFAULT '[]',
    risky       BOOLEAN NOT NULL DEFAULT false,
    enabled     BOOLEAN NOT NULL DEFAULT true,
    owner_set   BOOLEAN NOT NULL DEFAULT false,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (site_id, key)
);
CREATE INDEX site_actions_site ON site_actions (tenant_id, site_id, kind);

CREATE TABLE action_catalogs (
    site_id     BIGINT PRIMARY KEY REFERENCES sites(id) ON DELETE CASCADE,
    signature   TEXT NOT NULL,
    built_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
"""
