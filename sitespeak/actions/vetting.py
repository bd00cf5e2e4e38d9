"""The one gate between an answerer and the page: every action that reaches the widget is an
enabled catalog entry. Answerers propose, this function disposes.

``vet(catalog, question, reply)`` returns the reply to send, given the entries the live release
offers (``sitespeak.releases.serving`` reads them):
fill/submit/click requests become catalog actions; navigation and scroll actions are kept only
when their page is an enabled navigate entry; anything else is dropped and said so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sitespeak.actions import intents
from sitespeak.actions.catalog import OfferedAction, page_url
from sitespeak.voice.answer import Answer
from sitespeak.voice.speakable import page_name

PAGE_KINDS = ("navigate", "scroll-to-section", "highlight")
CANNOT_GO = "I'm not allowed to take you to that page from here."
ASK_TEAM = "The team can help on the {label} page."  # a decline's way on


def action_payload(
    row: OfferedAction,
    values: dict[str, str] | None = None,
    anchor: str = "",
    kind: str | None = None,
) -> dict[str, Any]:
    """The widget's instructions for one catalog entry (the fields of protocol.PageAction)."""
    return {
        "kind": kind or row.kind,
        "url": row.url,
        "anchor": anchor,
        "label": row.label,
        "catalog_id": row.id,
        "target": row.target,
        "values": values or {},
        "fields": [{"name": f["name"], "label": f.get("label", "")} for f in row.fields],
        "confirm": row.needs_confirmation,
    }


def _say(row: OfferedAction, values: dict[str, str]) -> str:
    if row.kind == "fill":
        shown = ", ".join(f"{k} {v}" for k, v in values.items())
        return (
            f"I can fill in the {row.label} form"
            + (f" with {shown}" if shown else "")
            + ". Please check it and confirm; I won't send it."
        )
    if row.kind == "submit":
        return f"Please confirm that you want to send the {row.label.split(':')[0]} form."
    return f"Please confirm: {row.label}." if row.needs_confirmation else f"Clicking {row.label}."


def _page_action(action: dict[str, Any], pages: dict[str, OfferedAction]) -> dict[str, Any] | None:
    row = pages.get(page_url(action.get("url", "")))
    if row is None:
        return None
    return {
        **action_payload(row, anchor=action.get("anchor", ""), kind=action["kind"]),
        "label": action.get("label") or row.label,
    }


def _way_on(reply: Answer, catalog: Sequence[OfferedAction]) -> Answer:
    """A decline offers the site's contact page, when the catalog has one."""
    contact = next(
        (r for r in catalog if r.kind == "navigate" and "contact" in f"{r.url} {r.label}".lower()),
        None,
    )
    if contact is None:
        return reply
    said = ASK_TEAM.format(label=page_name(contact.label) or "Contact")
    return replace(reply, sentences=[*reply.sentences, said], spoken=None)


def needs_catalog(question: str, reply: Answer) -> bool:
    """Whether ``vet`` can give anything but ``reply`` itself, whatever the catalog: when the
    reply has page actions to check, is a decline (which may point on to a contact page), or
    the question asks to fill, submit or click. Otherwise the catalog need not be read (for the
    live one, a database round trip, queued behind other visitors' under load: once an instant
    answer composes nothing, most of its time before the first audio)."""
    return bool(reply.actions) or not reply.covered or intents.requested(question)


def vet(catalog: Sequence[OfferedAction], question: str, reply: Answer) -> Answer:
    requested = intents.match(question, list(catalog))
    if requested is not None:
        row, values = requested
        return Answer([_say(row, values)], [], True, [action_payload(row, values)])
    if not reply.actions:
        return _way_on(reply, catalog) if not reply.covered else reply
    pages = {r.url: r for r in catalog if r.kind == "navigate"}
    kept = [
        a
        for a in (_page_action(a, pages) for a in reply.actions if a.get("kind") in PAGE_KINDS)
        if a is not None
    ]
    if not kept:
        # The page exists but is not allowed: the site has it, so this is no content gap.
        return Answer([CANNOT_GO], [], True, [])
    return replace(reply, actions=kept)
