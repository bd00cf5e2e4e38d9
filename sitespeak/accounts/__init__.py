"""Accounts: users, roles per tenant, passwords, sessions, CSRF, lockout, setup links."""
