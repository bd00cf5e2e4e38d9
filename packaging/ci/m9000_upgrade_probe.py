"""Only in the "newer build" check-deb makes: a schema change the upgrade must apply."""

SQL = """
CREATE TABLE upgrade_probe (id BIGSERIAL PRIMARY KEY, note TEXT NOT NULL);
INSERT INTO upgrade_probe (note) SELECT 'tenants before upgrade: ' || count(*) FROM tenants;
"""
