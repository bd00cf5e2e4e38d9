"""The server-rendered admin UI (Jinja templates, a little vanilla JS, no build step)."""

from __future__ import annotations


def blueprints() -> tuple:
    from sitespeak.admin import auth_pages, dashboard, people

    return (auth_pages.bp, dashboard.bp, people.bp)
