"""Instant answers: the questions a site's answers were prepared for, each under its normalised
form, with the passages retrieval found for it at the site's knowledge version then. A voice turn
whose question normalises the same, at the same knowledge version, takes those passages without
searching; a newer knowledge version matches nothing until the set is prepared again."""

SQL = """
CREATE TABLE instant_answers (
    id                 BIGSERIAL PRIMARY KEY,
    tenant_id          BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    site_id            BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    knowledge_version  BIGINT NOT NULL,
    question           TEXT NOT NULL,
    normalised         TEXT NOT NULL,
    passages           JSONB NOT NULL,
    answer             TEXT NOT NULL,
    prepared_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (site_id, normalised)
);
"""
