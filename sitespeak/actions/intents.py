"""Rules that turn a visitor's request into a catalog action: fill, submit or click.

Only catalog entries are ever candidates, so a request naming something the owner did not allow
(or that the crawl never saw) finds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sitespeak.actions.catalog import OfferedAction

LEAD = r"^(?:please\s+)?(?:can you\s+|could you\s+)?"
FILL = re.compile(
    LEAD + r"(?:fill(?:\s+in|\s+out)?|complete)\s+(?:the\s+|my\s+|your\s+)?"
    r"(?P<what>.+?)\s+form(?:\s+(?:with|using)\s+(?P<values>.+?))?[.!?]*$",
    re.IGNORECASE,
)
SUBMIT = re.compile(
    LEAD + r"(?:submit|send)\s+(?:the\s+|my\s+)?(?P<what>.+?)\s+form[.!?]*$", re.IGNORECASE
)
CLICK = re.compile(
    LEAD + r"(?:click|press|tap|push)(?:\s+on)?\s+(?:the\s+)?(?P<what>.+?)"
    r"(?:\s+(?:button|link))?[.!?]*$",
    re.IGNORECASE,
)
WORD = re.compile(r"[a-z0-9]+")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
FILLER = re.compile(r"^(?:(?:my|the|our)\s+)?(?:is|are|=|:|as|of|to)?\s*", re.IGNORECASE)


def words(text: str) -> set[str]:
    return set(WORD.findall(text.lower())) - {"the", "a", "an", "my", "form", "button", "your"}


def best_match(what: str, rows: Iterable[OfferedAction]) -> OfferedAction | None:
    want = words(what)
    best, best_score = None, 0.0
    for row in rows:
        names = words(f"{row.label} {row.target} {row.url.rsplit('/', 1)[-1]}")
        score = len(want & names) / max(len(want), 1)
        if score > best_score:
            best, best_score = row, score
    return best if best_score >= 0.5 else None


def _field_names(field: dict[str, Any]) -> set[str]:
    return words(f"{field.get('name', '')} {field.get('label', '')}".replace("_", " "))


def field_values(fields: list[dict[str, Any]], spoken: str) -> dict[str, str]:
    """'name Ana and email ana@example.com' → {"name": "Ana", "email": "ana@example.com"}."""
    values: dict[str, str] = {}
    for part in re.split(r",|;|\band\b", spoken or ""):
        part = part.strip()
        if not part:
            continue
        tokens = part.split()
        for field in fields:
            names = _field_names(field)
            head = [
                i
                for i, t in enumerate(tokens[:3])
                if WORD.sub("", t.lower()) == "" and t.lower().strip(".:") in names
            ]
            if head and field["name"] not in values:
                rest = " ".join(tokens[head[0] + 1 :])
                values[field["name"]] = FILLER.sub("", rest).strip(" .")
                break
        else:
            email = EMAIL.search(part)
            target = next((f for f in fields if f.get("type") == "email"), None)
            if email and target and target["name"] not in values:
                values[target["name"]] = email.group(0)
    return {k: v for k, v in values.items() if v}


REQUESTS = ((FILL, "fill"), (SUBMIT, "submit"), (CLICK, "click"))


def requested(question: str) -> bool:
    """Whether the question is a fill, submit or click request (``match`` looks for its entry)."""
    text = question.strip()
    return any(pattern.match(text) for pattern, _ in REQUESTS)


def match(question: str, rows: list[OfferedAction]) -> tuple[OfferedAction, dict[str, str]] | None:
    """The catalog entry (and field values) a fill/submit/click request names, or None."""
    text = question.strip()
    for pattern, kind in REQUESTS:
        found = pattern.match(text)
        if not found:
            continue
        row = best_match(found.group("what"), [r for r in rows if r.kind == kind])
        if row is None:
            return None
        values = field_values(row.fields, found.groupdict().get("values") or "")
        return row, values
    return None
