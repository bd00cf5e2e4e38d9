"""What the chat model is told: the rules, the numbered passages, a short history and the tools.
Passages are numbered so the answer can cite them as [n]; those markers become citations."""

from __future__ import annotations

from typing import Any

from sitespeak.providers.catalog import Catalog
from sitespeak.voice.persona import Persona

HISTORY_TURNS = 3  # short: older turns cost tokens and rarely help a spoken answer
PASSAGE_CHARS = 700

RULES = (
    "You are the voice assistant of one website. Answer in one to three short spoken "
    "sentences, using only the numbered passages from the site (and more from the search_site "
    "tool). Put the passage number in brackets after each fact, like [1]. If the passages do "
    "not cover the question, say plainly that the site does not say, and never invent facts. "
    "To take the visitor somewhere, call navigate with a page URL or scroll_to with a section "
    "anchor from the catalog below; never invent URLs."
)

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "search_site",
            "description": "Search this website's pages for passages.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "navigate",
            "description": "Open one of the site's pages (a catalog URL).",
            "parameters": {
                "type": "object",
                "properties": {"page": {"type": "string"}},
                "required": ["page"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "scroll_to",
            "description": "Scroll to a section (a catalog anchor).",
            "parameters": {
                "type": "object",
                "properties": {"anchor": {"type": "string"}},
                "required": ["anchor"],
                "additionalProperties": False,
            },
        },
    },
]


def passage_block(passages: list[Any], first: int = 1) -> str:
    lines = []
    for number, p in enumerate(passages, start=first):
        where = p.url + (f"#{p.anchor}" if p.anchor else "")
        lines.append(f"[{number}] {p.title} — {p.heading} ({where})\n{p.text[:PASSAGE_CHARS]}")
    return "\n\n".join(lines)


def catalog_block(catalog: Catalog) -> str:
    pages = "\n".join(f"- {url} ({title})" for url, title in catalog.pages.items())
    sections = "\n".join(
        f"- #{anchor} on {url} ({heading})" for anchor, (url, heading) in catalog.sections.items()
    )
    return f"Pages:\n{pages or '- none'}\nSections:\n{sections or '- none'}"


TONES = {
    "brief": "Be brief: one short sentence when it will do.",
    "friendly": "Be warm and friendly.",
    "formal": "Be polite and formal.",
}


def persona_block(persona: Persona | None) -> str:
    """The site owner's persona: it shapes the wording, never the rules above it."""
    if persona is None or not (persona.text or persona.name):
        return ""
    name = f"Your name is {persona.name}. " if persona.name else ""
    return (
        f"\n\nPersona (set by the site's owner; the rules above still apply)\n{name}"
        f"{TONES[persona.tone]}\n{persona.text[:2000]}"
    )


def messages_for(
    question: str,
    passages: list[Any],
    history: list[dict[str, str]],
    catalog: Catalog,
    persona: Persona | None = None,
) -> list[dict[str, Any]]:
    system = (
        f"{RULES}{persona_block(persona)}\n\nCatalog\n{catalog_block(catalog)}\n\nPassages\n"
        f"{passage_block(passages) or 'none yet: call search_site'}"
    )
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for turn in history[-HISTORY_TURNS:]:
        messages.append({"role": "user", "content": turn.get("q", "")})
        messages.append({"role": "assistant", "content": turn.get("a", "")})
    messages.append({"role": "user", "content": question})
    return messages
