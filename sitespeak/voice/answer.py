"""The local answerer: the one to three sentences of the retrieved passages that answer the
question that was asked, cited, never invented; an honest "not on this site" when nothing does;
navigation intents by rule.

A sentence answers when it holds the question's topic (its last topic word is the one that
must be there: "do you rent out kayaks" is not answered by a sentence about renting bikes) and,
for the common kinds of visitor question, the kind of fact asked for: a time for "when", an
amount for "how much", an address for "where", digits for a phone number. What is spoken is at
most ~30 words; the displayed text may hold a little more, with its citations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from sitespeak.questions import (
    DAYS,
    content_words,
    days_in,
    detail_of,
    expand,
    kind_of,
    search_query,
    topic_words,
    words_of,
)
from sitespeak.voice.followups import resolve
from sitespeak.voice.persona import Persona
from sitespeak.voice.speakable import page_name

__all__ = ["Answer", "answer", "content_words", "navigation_target", "query_for", "search_query"]

# A sentence ends at . ! ? before a capital, but not after a title ("Dr. Eva Marten").
SENTENCE_END = re.compile(
    r"(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)(?<!\bSt\.)(?<!\bNo\.)(?<!\bProf\.)"
    r"(?<=[.!?])\s+(?=[A-Z0-9\"'(€$£])"
)
NAVIGATE = re.compile(
    r"^(?:please\s+)?(?:can you\s+|could you\s+)?(?:take me to|go to|bring me to|navigate to|"
    r"open|show me|scroll to|jump to)\s+(?:the\s+|your\s+)?"
    # "the page about parties" names its page by what it is about
    r"(?:(?:page|section|part)\s+(?:about|on|for|with|called|named|titled)\s+(?:the\s+|your\s+)?)?"
    r"(?P<target>.+?)"
    r"(?:\s+(?:page|section))?[.!?]*$",
    re.IGNORECASE,
)
MIN_SCORE = 0.45  # share of the question's content words a sentence must cover, or about
SPOKEN_WORDS = 30  # beyond this the answer is shown, not read out
# What a sentence must hold to answer each kind of question.
EVIDENCE = {
    "when": re.compile(
        r"\b\d{1,2}(?::\d\d)?\s*(?:am|pm)\b|\b\d{1,2}[:.]\d\d\b|\bclosed\b|\bnoon\b", re.I
    ),
    "price": re.compile(
        r"[€$£]\s?\d|\d\s?(?:€|EUR|USD|GBP|CHF|NOK|SEK|DKK)\b|\bfree\b|\d\s?%|\bno charge\b", re.I
    ),
    "where": re.compile(
        r"\b[A-Z][\wß'-]+\.?\s\d{1,4}[a-z]?\b|\b\d{1,4}\s(?:[A-Z][\w'-]+\s)+(?:Street|St|Road|"
        r"Rd|Lane|Avenue|Ave|Square|Way|Place|Parade|Drive|Court|Terrace|Row|Close|Crescent|Quay|"
        r"Hill|Gate|Walk|Boulevard|Blvd)\b|\b\d{4,5}\s[A-Z][a-z]|\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b|"
        r"\blocated\b|\bnext to\b|\bopposite\b|\bwalk from\b"
    ),
    "phone": re.compile(r"\+?\d[\d \-/().]{5,}\d"),
    "email": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "who": re.compile(r"\b(?:Dr\.?\s|Mr\.?\s|Mrs\.?\s|Ms\.?\s)?[A-Z][a-z]+\s[A-Z][a-z]+\b"),
    "duration": re.compile(
        r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|a few|several)\s*"
        r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\b|\b\w+-(?:hour|minute|day|"
        r"week)\b|\b(?:an|one|half an|a quarter of an)\s+hour\b|\b(?:a|per|each)\s+(?:year|"
        r"month|week|day)\b",
        re.I,
    ),
}
STRICT = ("when", "price", "phone", "email")  # kinds no sentence without the fact answers
NEGATION = re.compile(r"\b(?:no|not|never|don't|doesn't|isn't|aren't|cannot|can't|closed)\b", re.I)
YES_NO_START = re.compile(r"^(?:yes|no)\b", re.I)
_DAY = "(" + "|".join(d[:3] for d in DAYS) + r")\w*"
RANGE = re.compile(rf"\b{_DAY}\s*(?:to|-|–|until)\s*{_DAY}", re.I)


class PassageLike(Protocol):
    url: str
    anchor: str
    title: str
    heading: str
    text: str
    score: float


@dataclass
class Answer:
    sentences: list[str]  # the displayed answer, in the page's precise form
    citations: list[dict[str, str]]
    covered: bool
    actions: list[dict[str, Any]] = field(default_factory=list)
    spoken: list[str] | None = None  # what the voice says (None: the sentences)
    understood: str = ""  # the question as understood in the conversation

    @property
    def text(self) -> str:
        return " ".join(self.sentences)

    @property
    def speech(self) -> list[str]:
        return self.spoken if self.spoken is not None else self.sentences


def navigation_target(question: str) -> str | None:
    match = NAVIGATE.match(question.strip())
    return match.group("target").strip() if match else None


def understand(question: str, history: list[dict[str, str]] | None = None) -> str:
    """The question as it is to be answered: a follow-up resolved against the last turn."""
    return resolve(question, history or [])


def query_for(question: str, history: list[dict[str, str]] | None = None) -> str:
    """What to retrieve for a question: the page a navigation names, else the question as
    understood (retrieval adds the words its facts are written with)."""
    return navigation_target(question) or understand(question, history)


def sentences_of(text: str) -> list[str]:
    parts: list[str] = []
    for line in re.split(r"\n+", text):
        for s in (s.strip() for s in SENTENCE_END.split(line)):
            if parts and parts[-1] in ("Yes.", "No.", "Yes!", "No!"):
                parts[-1] = f"{parts[-1]} {s}"  # an FAQ's "Yes." belongs with its reason
            elif s:
                parts.append(s)
    return parts


def _covers_day(sentence: str, day: str) -> bool | None:
    """True: the sentence is about that day; False: about other days only; None: no days."""
    named = days_in(sentence)
    for start, end in RANGE.findall(sentence):
        first = next(i for i, d in enumerate(DAYS) if d.startswith(start.lower()[:3]))
        last = next(i for i, d in enumerate(DAYS) if d.startswith(end.lower()[:3]))
        if first <= DAYS.index(day) <= last:
            return True
    if not named:
        return None
    return day in named


@dataclass
class _Candidate:
    score: float
    rank: int
    order: int  # position in its passage
    sentence: str
    passage: Any


def scored_sentences(question: str, passages: list[PassageLike], every: int) -> list[Any]:
    """Every sentence of the ``every`` best passages with its word score (see _candidates)."""
    return [c for c in _candidates(question, passages, every=every) if c.rank < every]


def _candidates(question: str, passages: list[PassageLike], *, every: int = 0) -> list[_Candidate]:
    """The sentences that share a word with the question, scored, best first. ``every``: all
    sentences of that many best passages too, those sharing no word (score 0 before the kind
    of fact and the day count), and no passage or site left out for its topic: what the
    second look by meaning ranks (sitespeak.voice.by_meaning)."""
    asked = content_words(question)
    wide = expand(asked)
    topics = topic_words(question)
    head = expand({topics[-1]}) if topics else set()
    kind = kind_of(question)
    days = days_in(question)
    # A yes/no question about a time or a price still prefers the sentence that holds one.
    evidence = EVIDENCE.get(detail_of(question) if kind == "yesno" else kind)
    wholes = [content_words(f"{page_name(p.title)} {p.heading} {p.text}") for p in passages]
    seen = set().union(*wholes) if wholes else set()
    known = sum(bool(expand({t}) & seen) for t in set(topics)) / max(len(set(topics)), 1)
    if head and not head & seen and known <= 0.5 and not every:
        # What was asked for appears nowhere: not on this site ("do you rent out kayaks").
        return []
    wanted = expand(set(topics))
    # A word most passages share ("room" on a hotel's site) says less than a rare one.
    # The topic ("kids' bike") counts more than the frame ("cost per day").
    weight = {
        w: (1.5 if w in wanted else 1.0) / max(sum(w in whole for whole in wholes), 1) ** 0.5
        for w in wide
    }
    total = sum(weight[w] for w in asked) or 1.0
    found = []
    for rank, passage in enumerate(passages):
        context = content_words(f"{page_name(passage.title)} {passage.heading}")
        wide_open = rank < every
        if wanted and not wanted & wholes[rank] and not wide_open:
            continue  # the passage is not about what was asked
        for order, sentence in enumerate(sentences_of(passage.text)):
            if sentence.endswith("?"):
                continue  # an FAQ's question: its answer follows
            if len(sentence) > 400:
                sentence = sentence[:400].rsplit(" ", 1)[0] + "."
            words = content_words(sentence)
            if not wide & (words | context) and not wide_open:
                continue
            direct = sum(weight[w] for w in asked & words)
            related = sum(weight[w] for w in (wide - asked) & (words | context))
            titled = sum(weight[w] for w in (asked & context) - words)
            score = (direct + 0.5 * related + 0.4 * titled) / total
            if evidence is not None and kind == "yesno":
                score += 0.2 if evidence.search(sentence) else 0.0
            elif evidence is not None:
                miss = 0.5 if kind in STRICT else 0.8
                score = score + 0.5 if evidence.search(sentence) else score * miss
            for day in days:
                covered = _covers_day(sentence, day)
                if covered is True:
                    score += 0.5
                elif covered is False:
                    score *= 0.3
            found.append(_Candidate(score - 0.02 * rank, rank, order, sentence, passage))
    found.sort(key=lambda c: (-c.score, c.rank, c.order))
    return found


def _same_fact(a: str, b: str) -> bool:
    numbers = set(re.findall(r"\d+", a)) & set(re.findall(r"\d+", b))
    wa, wb = content_words(a), content_words(b)
    overlap = len(wa & wb) / max(min(len(wa), len(wb)), 1)
    return overlap > 0.7 or (bool(numbers) and len(numbers) >= 2)


def _chosen(question: str, found: list[_Candidate]) -> list[_Candidate]:
    """The best sentence, and one or two more of the same passage when they add to it (all
    the days of "what are your opening hours", the directions after an address)."""
    best = found[0]
    kind = kind_of(question)
    most = 3 if kind == "when" and not days_in(question) else 2
    if kind in ("price", "phone", "email", "duration", "who", "yesno") or days_in(question):
        most = 1
    chosen = [best]
    for c in found[1:]:
        if len(chosen) >= most:
            break
        if c.passage is not best.passage or c.score < best.score * 0.6:
            continue
        if any(_same_fact(c.sentence, k.sentence) for k in chosen):
            continue
        if sum(len(k.sentence.split()) for k in chosen) + len(c.sentence.split()) > SPOKEN_WORDS:
            continue
        chosen.append(c)
    return sorted(chosen, key=lambda c: c.order)


def _tidy(sentence: str) -> str:
    sentence = re.sub(r"\s+", " ", sentence).strip()
    return sentence if sentence[-1:] in ".!?" else sentence + "."


def _yes(question: str, sentence: str) -> bool:
    """A yes/no question answered by a sentence that holds its topic and says no "not"."""
    if kind_of(question) != "yesno" or YES_NO_START.match(sentence) or NEGATION.search(sentence):
        return False
    topics = topic_words(question)
    said = content_words(sentence)
    return bool(topics) and all(expand({t}) & said for t in topics)


def answer(
    question: str,
    passages: list[PassageLike],
    history: list[dict[str, str]] | None = None,
    persona: Persona | None = None,
) -> Answer:
    """Compose an answer only from ``passages`` (best first)."""
    persona = persona or Persona()
    if not question.strip():  # nothing was heard: no content gap, just ask again
        return Answer([persona.say("unheard")], [], False)
    target = navigation_target(question)
    if target:
        return navigate(target, passages, persona)
    understood = understand(question, history)
    if not content_words(understood) or not passages:
        return declined(persona, understood)
    found = [c for c in _candidates(understood, passages) if c.score >= MIN_SCORE]
    if not found:
        return declined(persona, understood)
    chosen = _chosen(understood, found)
    shown = [_tidy(c.sentence) for c in chosen]
    if _yes(understood, chosen[0].sentence):
        shown[0] = "Yes. " + shown[0]
    spoken = _spoken(shown, chosen[0].passage, persona)
    return Answer(shown, _citations(c.passage for c in chosen), True, [], spoken, understood)


def _spoken(shown: list[str], passage: PassageLike, persona: Persona) -> list[str]:
    """At most SPOKEN_WORDS words: whole sentences, else the first cut at a clause, and then
    where the rest is."""
    spoken, words = [], 0
    for sentence in shown:
        count = len(sentence.split())
        if words + count > SPOKEN_WORDS:
            break
        spoken.append(sentence)
        words += count
    if len(spoken) == len(shown):
        return spoken
    if not spoken:  # one long sentence: its first clause (a later cut could drop an "except")
        head_words = shown[0].split()[:SPOKEN_WORDS]
        ends = [i for i, w in enumerate(head_words) if i >= 5 and w.endswith((",", ";", ":"))]
        cut = " ".join(head_words[: ends[0] + 1] if ends else head_words).rstrip(",;:")
        spoken = [cut + ("." if ends else "…")]
    return [*spoken, persona.say("more", page=page_name(passage.title) or "site's")]


def from_sentences(
    sentences: list[str], passage: PassageLike, understood: str, persona: Persona | None = None
) -> Answer:
    """An answer of the given sentences of one passage, in place of a decline (see
    sitespeak.voice.by_meaning); spoken within the same word bound as any answer."""
    persona = persona or Persona()
    shown = [_tidy(s) for s in sentences]
    spoken = _spoken(shown, passage, persona)
    return Answer(shown, _citations([passage]), True, [], spoken, understood)


def declined(persona: Persona, understood: str = "") -> Answer:
    return Answer([persona.say("not_found")], [], False, understood=understood)


def _citations(passages) -> list[dict[str, str]]:
    seen, out = set(), []
    for p in passages:
        key = (p.url, p.anchor)
        if key not in seen:
            seen.add(key)
            out.append({"url": p.url, "anchor": p.anchor or "", "title": p.title or ""})
    return out


def navigate(target: str, passages: list[PassageLike], persona: Persona | None = None) -> Answer:
    """A navigate (page) or scroll-to-section (heading) action to the page the target names."""
    persona = persona or Persona()
    want = set(words_of(target)) or content_words(target)
    best, best_score, by_heading = None, 0.0, False
    for passage in passages:
        path_words = content_words(re.sub(r"[/_.\-]", " ", passage.url.split("//")[-1]))
        title = content_words(page_name(passage.title or ""))
        heading = content_words(passage.heading or "")
        page = len(want & (path_words | title)) / max(len(want), 1)
        section = len(want & heading) / max(len(want), 1)
        score = max(page, section)
        if score > best_score:
            best, best_score, by_heading = passage, score, section > page
    if best is None or best_score < 0.5:
        return Answer([persona.say("no_page", target=target)], [], False)
    kind = "scroll-to-section" if by_heading and best.anchor else "navigate"
    label = (best.heading.split(" > ")[-1] if kind == "scroll-to-section" else None) or (
        page_name(best.title) or target
    )
    action = {"kind": kind, "url": best.url, "anchor": best.anchor or "", "label": label}
    key = "go_page" if kind == "navigate" else "go_section"
    return Answer([persona.say(key, label=label)], _citations([best]), True, [action])
