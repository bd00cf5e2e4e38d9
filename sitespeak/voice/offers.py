"""Announce only what will happen: the widget runs page actions on its own origin only, so an
action for a page of another origin (the site was crawled at one address and the widget runs at
another) would be announced ("Taking you to the Delivery page") and then refused. Such an
answer offers the page's link instead, and says why it does not go there."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from sitespeak.voice.answer import Answer


def origin(url: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    default = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def as_seen_from(reply: Answer, page_url: str) -> Answer:
    """``reply`` as the widget on ``page_url`` can carry it out."""
    here = origin(page_url)
    if not here or not reply.actions:
        return reply
    away = [a for a in reply.actions if origin(a.get("url", "")) != here]
    if not away:
        return reply
    first = away[0]
    label = (first.get("label") or "").split(":")[0].strip()
    link = {"url": first["url"], "anchor": first.get("anchor") or "", "title": label}
    others = [
        c
        for c in reply.citations
        if (c["url"], c.get("anchor", "")) != (link["url"], link["anchor"])
    ]
    page = f"the {label} page" if label else "that page"
    say = f"I can't open {page} from here, but its link is below."
    kept = [a for a in reply.actions if a not in away]
    return replace(reply, sentences=[say], citations=[link, *others], actions=kept)
