"""CDN purge hooks: after a switch, each of the site's hook URLs is POSTed the changed paths, as
JSON signed with the site's secret, so a CDN in front of the box drops its stale copies. One
``hosting.purge`` job per hook: a failing hook is retried with the ledger's backoff without
calling the others again. The hook's host goes through the crawler's SSRF guard (and the
connection to the address it checked) unless the site may reach private addresses."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlsplit

import httpx

from sitespeak import sites
from sitespeak.crawl import guard
from sitespeak.crawl.pinned import PinnedTransport
from sitespeak.db.connection import database
from sitespeak.db.models import utcnow
from sitespeak.errors import InvalidInput, Unavailable
from sitespeak.hosting import registry
from sitespeak.hosting.models import HostedSite
from sitespeak.settings import Settings

SIGNATURE = "X-SiteSpeak-Signature"
TIMEOUT = 10.0
MAX_HOOKS = 10


class HookFailed(Unavailable):
    """The hook answered an error or could not be reached: the job is retried."""

    code = "purge_hook_failed"


def check_hooks(urls: list[str], allow_private: bool) -> list[str]:
    """Hook URLs as stored: absolute http(s), at most MAX_HOOKS, each allowed by the guard."""
    found = list(dict.fromkeys(u.strip() for u in urls if u.strip()))
    if len(found) > MAX_HOOKS:
        raise InvalidInput(f"a site has at most {MAX_HOOKS} purge hooks")
    for url in found:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInput(f"purge hook {url!r} must be an absolute http(s) URL")
        try:
            guard.check(url, allow_private)
        except guard.Refused as exc:
            raise InvalidInput(f"purge hook {url!r}: {exc}") from None
    return found


def set_hooks(hosted: HostedSite, urls: list[str]) -> list[str]:
    site = sites.get_site(hosted.tenant_id, hosted.site_id)
    hosted.purge_hooks = check_hooks(urls, site.allow_private)
    hosted.hook_results = {k: v for k, v in hosted.hook_results.items() if k in hosted.purge_hooks}
    hosted.save()
    return list(hosted.purge_hooks)


def payload(site_id: int, release: int, hosts: list[str], paths: list[str]) -> bytes:
    body = {"site": site_id, "release": release, "hosts": hosts, "paths": paths}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def call_hook(
    settings: Settings,
    tenant_id: int,
    site_id: int,
    release: int,
    hook: str,
    paths: list[str],
    attempt: int = 1,
) -> dict[str, Any]:
    """POST the purge to ``hook`` and record how it went; raise HookFailed to be retried."""
    hosted = registry.get(tenant_id, site_id)
    if hook not in hosted.purge_hooks:
        return {"hook": hook, "skipped": "no longer a hook of the site"}
    site = sites.get_site(tenant_id, site_id)
    body = payload(site_id, release, registry.hostnames(hosted, settings), paths)
    headers = {"Content-Type": "application/json", SIGNATURE: sign(hosted.secret, body)}
    outcome: dict[str, Any] = {"release": release, "paths": len(paths), "attempt": attempt}
    try:
        guard.check(hook, site.allow_private)
        transport = PinnedTransport(site.allow_private, httpx.Limits(max_connections=1))
        with httpx.Client(transport=transport, timeout=TIMEOUT, trust_env=False) as client:
            response = client.post(hook, content=body, headers=headers)
        outcome["status"] = response.status_code
        outcome["ok"] = response.is_success
        if not response.is_success:
            outcome["error"] = f"HTTP {response.status_code}"
    except guard.Refused as exc:
        outcome.update(ok=False, error=f"refused: {exc}")
        _record(hosted, hook, outcome)
        raise InvalidInput(f"purge hook {hook}: {exc}") from None  # not retried: a setting
    except httpx.HTTPError as exc:
        outcome.update(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
    _record(hosted, hook, outcome)
    if not outcome["ok"]:
        raise HookFailed(f"purge hook {hook}: {outcome['error']}")
    return {"hook": hook, **outcome}


def _record(hosted: HostedSite, hook: str, outcome: dict[str, Any]) -> None:
    """The hook's last result, shown in the admin. One statement, so results of hooks called at
    the same moment by other jobs are not overwritten."""
    entry = {**outcome, "at": utcnow().isoformat()}
    database.execute_sql(
        "UPDATE hosted_sites SET hook_results = hook_results || jsonb_build_object(%s, %s::jsonb)"
        " WHERE site_id = %s",
        (hook, json.dumps(entry), hosted.site_id),
    )
