"""Jobs: the retry policy travels with the row (attempts were already there; now the backoff),
so the worker retries a job under the policy it was submitted with, not one it looks up by name."""

SQL = """
ALTER TABLE jobs
    ADD COLUMN backoff_base DOUBLE PRECISION NOT NULL DEFAULT 2.0,
    ADD COLUMN backoff_max  DOUBLE PRECISION NOT NULL DEFAULT 300.0;
"""
