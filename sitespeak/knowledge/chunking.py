"""Heading-aware chunks: a chunk never spans two sections; a long section is cut into windows
of whole sentences that overlap, so an answer near a cut is still found with its context.
FAQ entries and JSON-LD facts are chunks of their own."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sitespeak.knowledge.extract import PageContent

MAX_WORDS = 160
OVERLAP_WORDS = 40
SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class ChunkDraft:
    kind: str  # text | faq | fact
    anchor: str | None
    heading: str
    text: str

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(f"{self.heading}\n{self.text}".encode()).hexdigest()

    def embedding_input(self, title: str) -> str:
        return f"{title} — {self.heading}\n{self.text}" if self.heading else f"{title}\n{self.text}"


def windows(
    paragraphs: list[str], max_words: int = MAX_WORDS, overlap: int = OVERLAP_WORDS
) -> list[str]:
    # A paragraph's last sentence keeps a line break after it, so a line without a full stop
    # (a table row, one line of an address block) is not read as part of the next sentence.
    sentences = [
        s.strip() + ("\n" if i == len(parts) - 1 else "")
        for p in paragraphs
        for parts in [[s for s in SENTENCE.split(p) if s.strip()]]
        for i, s in enumerate(parts)
    ]
    out: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        end = "\n" if sentence.endswith("\n") else ""
        words = sentence.split()
        while len(words) > max_words:  # a run-on "sentence": hard cut
            out.append(_join(current + [" ".join(words[: max_words - _count(current)])]))
            words = words[max_words - _count(current) - overlap :]
            current = []
        if current and _count(current) + len(words) > max_words:
            out.append(_join(current))
            current = _tail(current, overlap)
        current.append(" ".join(words) + end)
    if current:
        out.append(_join(current))
    return out


def _join(parts: list[str]) -> str:
    return "".join(p if p.endswith("\n") else p + " " for p in parts).strip()


def _count(parts: list[str]) -> int:
    return sum(len(p.split()) for p in parts)


def _tail(parts: list[str], overlap: int) -> list[str]:
    """The last whole sentences of a window, up to ``overlap`` words, to start the next one."""
    kept: list[str] = []
    for part in reversed(parts):
        if _count(kept) + len(part.split()) > overlap:
            break
        kept.insert(0, part)
    return kept


def chunk_page(content: PageContent) -> list[ChunkDraft]:
    drafts: list[ChunkDraft] = []
    for section in content.sections:
        heading = " > ".join(section.path)
        for text in windows(section.paragraphs):
            drafts.append(ChunkDraft("text", section.anchor, heading, text))
    for question, answer in content.faqs:
        drafts.append(
            ChunkDraft("faq", _faq_anchor(content, question), question, f"{question} {answer}")
        )
    for fact in content.facts:
        drafts.append(ChunkDraft("fact", None, fact.heading, fact.text))
    return _dedupe(drafts)


def _faq_anchor(content: PageContent, question: str) -> str | None:
    for heading in content.headings:
        if heading["text"].rstrip("?").lower() == question.rstrip("?").lower():
            return heading["anchor"]
    return None


def _dedupe(drafts: list[ChunkDraft]) -> list[ChunkDraft]:
    seen, out = set(), []
    for draft in drafts:
        if draft.text_hash not in seen:
            seen.add(draft.text_hash)
            out.append(draft)
    return out
