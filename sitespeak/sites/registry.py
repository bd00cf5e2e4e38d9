"""Create, find, change and delete sites, always scoped by tenant.

A site's publishable key (``pk_...``) is safe to put in a page: it only names the site for the
widget; everything it unlocks is further limited by the site's allowed origins.
"""

from __future__ import annotations

import secrets
from typing import Any, Literal
from urllib.parse import urlsplit

from peewee import IntegrityError
from pydantic import BaseModel, Field, ValidationError, field_validator

from sitespeak.db.connection import database
from sitespeak.db.models import Site, utcnow
from sitespeak.errors import Conflict, Forbidden, InvalidInput, NotFound
from sitespeak.events.bus import EventType, Publish

Schedule = Literal["never", "hourly", "daily", "weekly"]


class SiteScope(BaseModel, extra="forbid"):
    """Where the crawler may go. Empty ``allowed_hosts`` means the start URLs' hosts."""

    allowed_hosts: list[str] = Field(default_factory=list, max_length=50)
    include: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="path globs; a URL must match one (when any)",
    )
    exclude: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="path globs; a URL matching one is skipped",
    )
    max_depth: int = Field(10, ge=0, le=100)
    max_pages: int = Field(1000, ge=1, le=200_000)

    @field_validator("allowed_hosts")
    @classmethod
    def _lower(cls, hosts: list[str]) -> list[str]:
        return [h.strip().lower() for h in hosts if h.strip()]


def check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"start URL {url!r} must be an absolute http(s) URL")
    return url.strip()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_origin(url: str) -> str:
    """An allowed origin as stored (``https://shop.example``), from an origin or any URL of it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"origin {url!r} must be an http(s) origin, e.g. https://shop.example")
    return origin_of(url.strip())


def _scope(values: dict[str, Any]) -> dict[str, Any]:
    try:
        return SiteScope.model_validate(values).model_dump()
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "scope"
        raise InvalidInput(f"scope {where}: {err['msg']}") from None


PRIVATE_ADDRESSES_WHO = (
    "only an instance superuser (in the admin UI) or the operator (sitespeak site "
    "allow-private SITE, or site create --allow-private) may allow private addresses for a site"
)


def check_private_permission(wanted: bool, current: bool, privileged: bool) -> None:
    """A tenant may keep or drop ``allow_private`` but never turn it on: with it, the crawler
    fetches the box's own loopback services and the instance's private network for them."""
    if wanted and not current and not privileged:
        raise Forbidden(PRIVATE_ADDRESSES_WHO, code="private_addresses_need_an_admin")


def _new_key() -> str:
    return "pk_" + secrets.token_urlsafe(18)


def create_site(
    tenant_id: int,
    name: str,
    start_urls: list[str],
    allow_private: bool = False,
    *,
    schedule: Schedule = "never",
    allowed_origins: list[str] | None = None,
    privileged: bool = False,
    **scope: Any,
) -> Site:
    """``privileged``: the caller is an instance superuser or the operator, not a tenant."""
    check_private_permission(allow_private, False, privileged)
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("a site needs a name of 1 to 200 characters")
    if name.isdigit():
        raise InvalidInput("a site name cannot be only digits (it would read as an id)")
    if not start_urls:
        raise InvalidInput("a site needs at least one start URL")
    urls = [check_url(u) for u in start_urls]
    try:
        with database.atomic():
            return Site.create(
                tenant=tenant_id,
                name=name,
                start_urls=urls,
                scope=_scope(scope),
                allowed_origins=[check_origin(o) for o in allowed_origins or []],
                key=_new_key(),
                schedule=schedule,
                allow_private=allow_private,
            )
    except IntegrityError:
        raise Conflict(f"this tenant already has a site named {name!r}") from None


def site_by_key(key: str) -> Site | None:
    if not key.startswith("pk_"):
        return None
    return Site.get_or_none(Site.key == key)


def get_site(tenant_id: int, site_id_or_name: int | str) -> Site:
    query = Site.select().where(Site.tenant == tenant_id)
    ref = str(site_id_or_name).strip()
    # Digits are an id (a name is never only digits); "³" is a digit int() cannot read, and an id
    # past bigint none PostgreSQL could compare: neither names a site.
    number = int(ref) if ref.isascii() and ref.isdigit() else None
    if ref.isdigit() and (number is None or number >= 2**63):
        raise NotFound(f"no site {site_id_or_name!r} in this tenant")
    query = query.where(Site.id == number) if number is not None else query.where(Site.name == ref)
    site = query.get_or_none()
    if site is None:
        raise NotFound(f"no site {site_id_or_name!r} in this tenant")
    return site


def list_sites(tenant_id: int | None) -> list[Site]:
    query = Site.select().order_by(Site.id)
    if tenant_id is not None:
        query = query.where(Site.tenant == tenant_id)
    return list(query)


def allowed_origins(site: Site) -> list[str]:
    return list(site.allowed_origins) or sorted({origin_of(u) for u in site.start_urls})


def announce_change(publish: Publish, tenant_id: int, site_id: int) -> None:
    """Tell every web process to drop what it cached of the site (its key, origins, settings):
    announced here, not by the web handlers, so a change from the CLI or a worker reaches them
    too. Inside a caller's transaction, pass a ``HeldEvents`` and release it after commit."""
    publish(EventType.SITE_CHANGED, tenant_id, {"site_id": site_id})


def update_site(
    tenant_id: int,
    site_id_or_name: int | str,
    *,
    publish: Publish,
    privileged: bool = False,
    **changes: Any,
) -> Site:
    site = get_site(tenant_id, site_id_or_name)
    if changes.get("allow_private") is None:
        changes.pop("allow_private", None)
    else:
        check_private_permission(changes["allow_private"], site.allow_private, privileged)
    if "start_urls" in changes:
        if not changes["start_urls"]:
            raise InvalidInput("a site needs at least one start URL")
        site.start_urls = [check_url(u) for u in changes.pop("start_urls")]
    if "allowed_origins" in changes:
        site.allowed_origins = [check_origin(o) for o in changes.pop("allowed_origins") or []]
    if "scope" in changes:
        site.scope = _scope({**site.scope, **changes.pop("scope")})
    for field in ("name", "schedule", "allow_private"):
        if field in changes:
            setattr(site, field, changes.pop(field))
    if changes:
        raise InvalidInput(f"cannot change {', '.join(sorted(changes))}")
    site.updated_at = utcnow()
    try:
        with database.atomic():
            site.save()
    except IntegrityError:
        raise Conflict(f"this tenant already has a site named {site.name!r}") from None
    announce_change(publish, tenant_id, site.id)
    return site


def delete_site(tenant_id: int, site_id_or_name: int | str, publish: Publish) -> None:
    site = get_site(tenant_id, site_id_or_name)
    Site.delete().where(Site.id == site.id, Site.tenant == tenant_id).execute()
    announce_change(publish, tenant_id, site.id)


def site_view(site: Site) -> dict[str, Any]:
    return {
        "id": site.id,
        "tenant_id": site.tenant_id,
        "name": site.name,
        "key": site.key,
        "start_urls": site.start_urls,
        "scope": site.scope,
        "allowed_origins": allowed_origins(site),
        "schedule": site.schedule,
        "allow_private": site.allow_private,
        "knowledge_version": site.knowledge_version,
        "last_crawl_at": site.last_crawl_at.isoformat() if site.last_crawl_at else None,
        "created_at": site.created_at.isoformat() if site.created_at else None,
    }
