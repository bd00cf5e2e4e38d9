"""The server-rendered admin UI (Jinja templates, a little vanilla JS, no build step)."""

from __future__ import annotations


def blueprints() -> tuple:
    from sitespeak.admin import (
        auth_pages,
        conversations_pages,
        dashboard,
        events,
        hosting_pages,
        instant_pages,
        knowledge_pages,
        people,
        releases_pages,
        reports_pages,
        sites_pages,
    )

    return (
        auth_pages.bp,
        dashboard.bp,
        people.bp,
        sites_pages.bp,
        knowledge_pages.bp,
        conversations_pages.bp,
        reports_pages.bp,
        instant_pages.bp,
        hosting_pages.bp,
        releases_pages.bp,
        events.bp,
    )
