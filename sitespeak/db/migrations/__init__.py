"""Versioned schema migrations: ``mNNNN_name.py`` modules, each with a ``SQL`` string.

Applied only by ``python -m sitespeak migrate`` (never on import or start-up), each in its own
transaction, recorded in ``schema_migrations``. Never edit a migration that has shipped: add one.
"""
