"""Embedded PostgreSQL and Valkey from PyPI wheels, for a bare machine (`sitespeak dev`)."""
