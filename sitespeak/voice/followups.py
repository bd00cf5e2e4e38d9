"""Elliptical follow-ups resolved against the previous question: "And on Saturday?" after "When
are you open on Sunday?" is understood as "When are you open on Saturday?". The turn record
keeps the understood question, so a wrong guess can be seen.

Three shapes, by rule: a new day or unit for the same question ("and for an hour?"), a new
topic for the same kind of question ("and whitening?", "what about a kids' bike?"), and a
pronoun standing for the previous topic ("how long does it take?", "is it accessible?").
"""

from __future__ import annotations

import re

from sitespeak.questions import DAYS, days_in, topic_words, words_of

LEAD = re.compile(r"^\s*(?:and|also|so|ok(?:ay)?|then)?\s*(?:what|how)\s+about\s+|^\s*and\s+", re.I)
# "there" stands for a place ("how do I get there?") but not in "is there parking?".
PRONOUN = re.compile(r"\b(?:it|that|this|they|them)\b|(?<!is )(?<!are )\bthere\b", re.I)
UNIT = re.compile(
    r"\b(?:(?:for|per)\s+)?(?:a|an|one|the|per)\s+(hour|day|week|night|month)\b", re.I
)
DAY = re.compile(r"\b(?:on\s+)?(?:" + "|".join(DAYS) + r")s?\b", re.I)
# "and how much does one cost?": a whole question after the "and", its pronoun the old topic.
OWN_QUESTION = re.compile(
    r"^(?:how|what|when|where|who|which|why|is|are|do|does|can|could|will|would|should)\b",
    re.I,
)
ONE = re.compile(r"(?<=\bdoes )one\b|(?<=\bis )one\b|(?<=\bwould )one\b", re.I)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" ?.!,")


def _topic_span(question: str) -> str | None:
    """The previous question's topic as written: the run of words from its first topic word
    to its last, with the article before it ("the guided tour", "a check-up")."""
    topics = topic_words(question)
    if not topics:
        return None
    tokens = question.rstrip("?.! ").split()
    marks = [i for i, t in enumerate(tokens) if set(words_of(t)) & set(topics)]
    if not marks:
        return None
    start, end = marks[0], marks[-1]
    if start > 0 and tokens[start - 1].lower() in ("the", "a", "an", "your", "our"):
        start -= 1
    return " ".join(tokens[start : end + 1])


def resolve(question: str, history: list[dict[str, str]]) -> str:
    """The question as understood in the conversation (itself when it stands alone)."""
    if not history or not question.strip():
        return question
    previous = history[-1].get("q", "").strip()
    if not previous:
        return question
    lead = LEAD.match(question)
    rest = _clean(question[lead.end() :]) if lead else _clean(question)
    own_topics = topic_words(rest)
    if lead:
        days = days_in(rest)
        if days and days_in(previous):  # "and on Saturday?"
            day = sorted(days, key=DAYS.index)[0].capitalize()
            return DAY.sub(f"on {day}", previous, count=1)
        unit = UNIT.search(rest)
        if unit and UNIT.search(previous):  # "and for an hour?"
            return UNIT.sub(unit.group(0), previous, count=1)
        span = _topic_span(previous)
        if OWN_QUESTION.match(rest) and not lead.group(0).lower().strip().endswith("about"):
            own = _standing_for(f"{rest}?", span)
            if own != f"{rest}?":
                return own
        if own_topics and span and not rest.lower().startswith("if "):
            return previous.replace(span, rest, 1)  # "and whitening?" / "what about X?"
        return f"{previous.rstrip('?.! ')} {rest}?"  # "and at night?" / "and if I'm over 65?"
    return _standing_for(question, _topic_span(previous))


def _standing_for(question: str, span: str | None) -> str:
    """ "how long does it take?" → the previous question's topic stands in for the pronoun."""
    if span and ONE.search(question):
        return ONE.sub(span, question, count=1)
    if span and PRONOUN.search(question):
        return PRONOUN.sub(span, question, count=1)
    return question
