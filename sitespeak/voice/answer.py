"""The local answerer: one to three sentences extracted from the best passages, cited, never
invented; an honest "not on this site" when nothing matches; navigation intents by rule."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
STOP = set(
    """a an the and or but of to in on at for from by with about is are was were be been
being do does did done have has had i me my we our you your he she it its they them their this
that these those what which who whom when where why how can could would should will shall may
might must there here please tell know want like just get give find any some much many one so if
than then also very really not no yes hi hello hey okay ok us am""".split()
)
# Question words that name a kind of fact rather than appear in the page.
SYNONYMS = {
    "time": {"hour", "open", "close", "clock"},
    "when": {"hour", "open"},
    "open": {"hour", "opening"},
    "close": {"hour", "closing"},
    "hour": {"open"},
    "phone": {"call", "telephone", "contact"},
    "call": {"phone", "telephone"},
    "email": {"mail", "contact"},
    "contact": {"email", "phone", "reach"},
    "price": {"cost", "fee", "eur", "usd"},
    "cost": {"price", "fee"},
    "where": {"address", "located", "street", "find"},
    "address": {"street", "located"},
    "located": {"address", "street"},
}
NAVIGATE = re.compile(
    r"^(?:please\s+)?(?:can you\s+)?(?:take me to|go to|bring me to|navigate to|open|show me|"
    r"scroll to|jump to)\s+(?:the\s+|your\s+)?(?P<target>.+?)(?:\s+(?:page|section))?[.!?]*$",
    re.IGNORECASE,
)
NOT_COVERED = (
    "I'm sorry, I couldn't find that on this site. You could try asking another way, "
    "or contact the site's team."
)
MIN_OVERLAP = 0.34  # share of the question's content words a sentence must cover


class PassageLike(Protocol):
    url: str
    anchor: str
    title: str
    heading: str
    text: str
    score: float


@dataclass
class Answer:
    sentences: list[str]
    citations: list[dict[str, str]]
    covered: bool
    actions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def stem(word: str) -> str:
    """Crude, but the same on both sides: opening -> open, hours -> hour, address stays."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def content_words(text: str) -> set[str]:
    words = (w.split("'")[0] for w in WORD.findall(text.lower()))  # "where's" -> "where"
    return {stem(w) for w in words if w not in STOP and len(w) > 1}


def expand(words: set[str]) -> set[str]:
    out = set(words)
    for w in words:
        out |= _STEMMED_SYNONYMS.get(w, set())
    return out


def sentences_of(text: str) -> list[str]:
    parts: list[str] = []
    for line in re.split(r"\n+", text):
        parts += [s.strip() for s in SENTENCE_END.split(line) if s.strip()]
    return parts


_STEMMED_SYNONYMS = {stem(k): {stem(v) for v in vs} for k, vs in SYNONYMS.items()}


def search_query(question: str) -> str:
    """The question plus the words its facts are written with ("address" -> "street")."""
    asked = content_words(question)
    extra = sorted(expand(asked) - asked)
    return " ".join([question, *extra])


def navigation_target(question: str) -> str | None:
    match = NAVIGATE.match(question.strip())
    return match.group("target").strip() if match else None


def _score(question: set[str], wide: set[str], sentence: str, context: str) -> float:
    words = content_words(sentence)
    around = content_words(context)
    direct = len(question & words)
    related = len((wide - question) & (words | around))
    titled = len(question & around)
    return (direct + 0.5 * related + 0.3 * titled) / max(len(question), 1)


def answer(question: str, passages: list[PassageLike], max_sentences: int = 3) -> Answer:
    """Compose a spoken answer only from ``passages`` (best first)."""
    target = navigation_target(question)
    if target:
        return navigate(target, passages)
    asked = content_words(question)
    if not asked or not passages:
        return Answer([NOT_COVERED], [], covered=False)
    wide = expand(asked)
    scored = []
    for rank, passage in enumerate(passages):
        context = f"{passage.title} {passage.heading}"
        for sentence in sentences_of(passage.text):
            if len(sentence) > 400:
                sentence = sentence[:400].rsplit(" ", 1)[0] + "."
            score = _score(asked, wide, sentence, context) - 0.02 * rank
            scored.append((score, rank, sentence, passage))
    scored.sort(key=lambda item: -item[0])
    chosen = [item for item in scored if item[0] >= MIN_OVERLAP and wide & content_words(item[2])][
        :max_sentences
    ]
    if not chosen:
        return Answer([NOT_COVERED], [], covered=False)
    best = chosen[0][0]
    chosen = [c for c in chosen if c[0] >= best * 0.6]
    return Answer([_spoken(c[2]) for c in chosen], _citations(c[3] for c in chosen), True)


def _spoken(sentence: str) -> str:
    sentence = re.sub(r"\s+", " ", sentence).strip()
    return sentence if sentence[-1:] in ".!?" else sentence + "."


def _citations(passages) -> list[dict[str, str]]:
    seen, out = set(), []
    for p in passages:
        key = (p.url, p.anchor)
        if key not in seen:
            seen.add(key)
            out.append({"url": p.url, "anchor": p.anchor or "", "title": p.title or ""})
    return out


def navigate(target: str, passages: list[PassageLike]) -> Answer:
    """A navigate (page) or scroll-to-section (heading) action to the page the target names."""
    want = content_words(target)
    best, best_score, by_heading = None, 0.0, False
    for passage in passages:
        path_words = content_words(re.sub(r"[/_.\-]", " ", passage.url.split("//")[-1]))
        title, heading = content_words(passage.title or ""), content_words(passage.heading or "")
        page = len(want & (path_words | title)) / max(len(want), 1)
        section = len(want & heading) / max(len(want), 1)
        score = max(page, section)
        if score > best_score:
            best, best_score, by_heading = passage, score, section > page
    if best is None or best_score < 0.5:
        return Answer([f"I couldn't find a {target} page on this site."], [], covered=False)
    kind = "scroll-to-section" if by_heading and best.anchor else "navigate"
    label = (best.heading if kind == "scroll-to-section" else best.title) or target
    action = {"kind": kind, "url": best.url, "anchor": best.anchor or "", "label": label}
    say = (
        f"Taking you to the {label} page."
        if kind == "navigate"
        else f"Here is the {label} section."
    )
    return Answer([say], _citations([best]), True, [action])
