"""Keeping a long-running box tidy: what it stops keeping (retention), the database's upkeep and
how much disk it uses. Each task is idempotent and safe to run on two workers at once."""
