"""A site's persona and greeting as the answerers use them. The persona is the owner's free
text ("You are Ada, the shop's friendly helper"); from it come a name and a tone (brief,
friendly or formal) that pick the local answerer's wording, and the whole text goes into the
OpenAI answerer's system prompt."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

TONES = ("brief", "friendly", "formal")
NAMED = re.compile(
    r"\b(?i:you are|you're|i am|i'm|named|called|your name is|name:)\s+([A-Z][\w'-]{1,30})"
)
TONE_HINTS = {
    "formal": ("formal", "polite", "professional", "courteous"),
    "brief": ("brief", "short", "concise", "terse", "to the point"),
    "friendly": ("friendly", "warm", "casual", "cheerful"),
}

WORDING = {
    "friendly": {
        "not_found": "Sorry, I couldn't find that on this site.",
        "unheard": "Sorry, I didn't catch that. Could you say it again?",
        "go_page": "Taking you to the {label} page.",
        "go_section": "Here is the {label} section.",
        "no_page": "Sorry, I couldn't find a {target} page on this site.",
        "more": "More on the {page} page.",
        "greeting": "Hi{name}! Ask me anything about {site}.",
    },
    "formal": {
        "not_found": "I am sorry, but I couldn't find that information on this website.",
        "unheard": "I am sorry, I did not catch that. Could you repeat it, please?",
        "go_page": "I am opening the {label} page for you.",
        "go_section": "This is the {label} section.",
        "no_page": "I am sorry, but I couldn't find a {target} page on this website.",
        "more": "Further details are on the {page} page.",
        "greeting": "Good day{name}. How may I help you with {site}?",
    },
    "brief": {
        "not_found": "I couldn't find that on this site.",
        "unheard": "Sorry, say that again?",
        "go_page": "Opening {label}.",
        "go_section": "{label}.",
        "no_page": "I couldn't find a {target} page.",
        "more": "More on the {page} page.",
        "greeting": "Hi{name}. Ask about {site}.",
    },
}


@dataclass(frozen=True)
class Persona:
    name: str = ""
    tone: str = "friendly"
    text: str = ""  # the owner's words, for a model's system prompt

    def say(self, key: str, **values: str) -> str:
        return WORDING[self.tone][key].format(**values)

    def greeting(self, site_name: str, configured: str = "") -> str:
        """The site's own greeting, else one in the persona's tone."""
        if configured.strip():
            return configured.strip()
        name = f", I'm {self.name}" if self.name else ""
        if self.tone == "formal" and self.name:
            name = f", I am {self.name}"
        return self.say("greeting", name=name, site=site_name or "this site")


def persona_of(text: str) -> Persona:
    text = (text or "").strip()
    low = text.lower()
    tone = next((t for t, hints in TONE_HINTS.items() if any(h in low for h in hints)), None)
    named = NAMED.search(text)
    return Persona(named.group(1) if named else "", tone or "friendly", text)


def site_persona(options: dict[str, Any] | None) -> Persona:
    return persona_of(str((options or {}).get("persona") or ""))
