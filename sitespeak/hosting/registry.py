"""A site's hosting record: the names it answers on, its purge hooks and their secret, and how
many releases it keeps. Always looked up within a tenant."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from peewee import IntegrityError

from sitespeak import sites
from sitespeak.db.connection import database
from sitespeak.db.models import Site
from sitespeak.errors import Conflict, InvalidInput, NotFound
from sitespeak.events.bus import Publish
from sitespeak.hosting import layout
from sitespeak.hosting.models import HostedHostname, HostedSite
from sitespeak.settings import Settings

POSITIONS = ("head-end", "body-end")


def _label_from(name: str) -> str:
    label = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50].strip("-")
    return label or "site"


def check_label(label: str) -> str:
    label = label.strip().lower()
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", label):
        raise InvalidInput(
            f"label {label!r} must be 1 to 63 letters, digits or inner hyphens (a DNS label)"
        )
    return label


def check_hostname(name: str) -> str:
    name = name.strip().lower().rstrip(".")
    if not layout.is_hostname(name) or "." not in name:
        raise InvalidInput(f"{name!r} is not a host name (like www.example.com)")
    return name


def enable(
    tenant_id: int,
    site_id: int | str,
    *,
    label: str | None = None,
    keep_releases: int = 5,
    embed_position: str = "body-end",
) -> HostedSite:
    """The site's hosting record, made on first use (a label from its name when none is given)."""
    site = sites.get_site(tenant_id, site_id)
    found = HostedSite.get_or_none(HostedSite.site == site.id)
    if found is not None:
        return found
    check_keep(keep_releases)
    check_position(embed_position)
    wanted = check_label(label) if label else _label_from(site.name)
    for candidate in (wanted, f"{wanted}-{site.id}"):
        try:
            with database.atomic():
                return HostedSite.create(
                    site=site.id,
                    tenant=tenant_id,
                    label=candidate,
                    secret=secrets.token_hex(32),
                    keep_releases=keep_releases,
                    embed_position=embed_position,
                )
        except IntegrityError:
            if label:
                raise Conflict(f"the label {wanted!r} is taken") from None
    raise Conflict(f"the label {wanted!r} is taken")


def find(site: Site) -> HostedSite | None:
    return HostedSite.get_or_none(HostedSite.site == site.id, HostedSite.tenant == site.tenant_id)


def get(tenant_id: int, site_id: int | str) -> HostedSite:
    site = sites.get_site(tenant_id, site_id)
    hosted = find(site)
    if hosted is None:
        raise NotFound(f"site {site.name!r} is not hosted here: upload a site to host it")
    return hosted


def check_keep(keep: int) -> None:
    if not 1 <= keep <= 100:
        raise InvalidInput("a hosted site keeps 1 to 100 releases")


def check_position(position: str) -> None:
    if position not in POSITIONS:
        raise InvalidInput(f"embed position must be one of {', '.join(POSITIONS)}")


def hostnames(hosted: HostedSite, settings: Settings) -> list[str]:
    """Every name the site answers on: its custom names first (the first is its primary name),
    then LABEL.{hosted-sites domain} when that domain is set."""
    names = [
        row.hostname
        for row in HostedHostname.select()
        .where(HostedHostname.site == hosted.site_id)
        .order_by(HostedHostname.created_at, HostedHostname.hostname)
    ]
    if settings.hosted_sites_domain:
        names.append(f"{hosted.label}.{settings.hosted_sites_domain.strip('.').lower()}")
    return names


def _scheme(settings: Settings) -> str:
    # Hosted sites are served by the same web processes, behind the same proxy as the admin.
    return "http" if settings.base_url.startswith("http://") else "https"


def primary_url(hosted: HostedSite, settings: Settings) -> str:
    names = hostnames(hosted, settings)
    if not names:
        raise InvalidInput(
            "this site answers on no host name: add a custom host name, or set "
            "SITESPEAK_HOSTED_SITES_DOMAIN"
        )
    return f"{_scheme(settings)}://{names[0]}"


def allow_widget(hosted: HostedSite, settings: Settings, publish: Publish) -> None:
    """Let the widget answer on the site's hosted pages: their origins join the site's allowed
    origins (after the start URLs' origins, which an empty list meant until now)."""
    site = sites.get_site(hosted.tenant_id, hosted.site_id)
    current = sites.allowed_origins(site)
    wanted = [f"{_scheme(settings)}://{name}" for name in hostnames(hosted, settings)]
    missing = [origin for origin in wanted if origin not in current]
    if missing:
        sites.update_site(
            hosted.tenant_id,
            hosted.site_id,
            publish=publish,
            allowed_origins=current + missing,
            privileged=True,
        )


def set_hostnames(hosted: HostedSite, names: list[str], settings: Settings) -> list[str]:
    """Replace the site's custom host names; links of names it no longer has are removed."""
    wanted = list(dict.fromkeys(check_hostname(n) for n in names if n.strip()))
    domain = settings.hosted_sites_domain.strip(".").lower()
    for name in wanted:
        if domain and (name == domain or name.endswith("." + domain)):
            raise InvalidInput(f"{name!r} is under the hosted-sites domain: set the label instead")
        # The web process never serves a hosted page on these (the admin UI's cookies live
        # there, and an address is no site's name): say so instead of a link that never answers.
        if name == settings.admin_host or name.rsplit(".", 1)[-1].isdigit():
            raise InvalidInput(f"{name!r} is this box's own address or the admin UI's host name")
    before = set(hostnames(hosted, settings))
    try:
        with database.atomic():
            HostedHostname.delete().where(HostedHostname.site == hosted.site_id).execute()
            for name in wanted:
                HostedHostname.create(hostname=name, site=hosted.site_id, tenant=hosted.tenant_id)
    except IntegrityError:
        raise Conflict("one of these host names is used by another site") from None
    after = hostnames(hosted, settings)
    for gone in before - set(after):
        _unlink(layout.host_link(settings.state_dir, gone))
    return after


def link_hosts(hosted: HostedSite, settings: Settings, publish: Publish) -> None:
    """Point each of the site's names at its directory (the same target every time), and let
    the widget answer on them."""
    allow_widget(hosted, settings, publish)
    target = Path("..") / "sites" / str(hosted.site_id)
    for name in hostnames(hosted, settings):
        link = layout.host_link(settings.state_dir, name)
        if not (link.is_symlink() and Path(link.readlink()) == target):
            layout.switch_link(link, target)


def delete_site(settings: Settings, tenant_id: int, site_ref: int | str, publish: Publish) -> None:
    """Delete a site and stop serving it: its host links go first (so no request finds it once
    this returns), then its rows, then its releases' files."""
    site = sites.get_site(tenant_id, site_ref)
    hosted = find(site)
    if hosted is not None:
        for name in hostnames(hosted, settings):
            _unlink(layout.host_link(settings.state_dir, name))
    sites.delete_site(tenant_id, site.id, publish)
    shutil.rmtree(layout.site_dir(settings.state_dir, site.id), ignore_errors=True)


def _unlink(path: Path) -> None:
    if path.is_symlink():
        path.unlink()


def view(hosted: HostedSite, settings: Settings) -> dict[str, Any]:
    return {
        "site_id": hosted.site_id,
        "hosted": True,
        "label": hosted.label,
        "hostnames": hostnames(hosted, settings),
        "purge_hooks": list(hosted.purge_hooks),
        "hook_results": dict(hosted.hook_results),
        "keep_releases": hosted.keep_releases,
        "embed_position": hosted.embed_position,
    }
