"""Accounts: one-time setup links (first admin, invited users). Sessions live in Redis."""

SQL = """
CREATE TABLE setup_links (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    purpose     TEXT NOT NULL DEFAULT 'setup' CHECK (purpose IN ('setup', 'invite', 'reset')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX setup_links_user ON setup_links (user_id);
"""
