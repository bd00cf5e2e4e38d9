"""The second look before a decline: the local answerer matches words, so a visitor who says
"Is there anywhere to park nearby?" to a site whose FAQ asks "Where can I park?" was told the
site does not say. When the word match finds nothing, the question is compared by meaning (the
site's own embedding model, one batched call) with the passages' FAQ questions, then with every
sentence of the best few passages; a close enough match is the answer. Only a decline gets this
look, so an answered question costs nothing more.

A sentence is ranked by its meaning and its words together: the cosine similarity plus
WORD_WEIGHT times the word match's own score (capped), which holds what meaning alone misses,
the kind of fact asked for and the day ("shut on Friday" wants Friday's times, not the week's
first line). Calibrated on the tuned test sites (tests/answers/sites, every sentence of the 4
best passages of their 92 questions and 14 declines): by similarity alone the top sentence was
the right one for 70 of 92 questions, blended for 82; the declines' best sentence blended to at
most 0.47 and all but one right answer to 0.54 or more, hence SENTENCE_CLOSE. The closest FAQ
question of a decline scored at most 0.38.

The words must not carry a sentence the question is far from in meaning ("Can I get married at
the town hall?" is not answered by the town hall's address): its similarity alone must reach
MEANING_FLOOR. On the calibration sets of paraphrases and missing questions of the tuned sites
(tests/answers/sites/*/by_meaning.json, 21 and 8) a floor of 0.3 answered one wrongly and one
missing question; at 0.5 none, with the same 9 right.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sitespeak.questions import kind_of
from sitespeak.voice import answer as answerer
from sitespeak.voice.persona import Persona

# (question, texts) -> the cosine similarity of each text to the question, or None when no
# embedding can be had now (the decline stands).
Meaning = Callable[[str, list[str]], Awaitable[Sequence[float] | None]]
FAQ_CLOSE = 0.6  # a visitor's question and an FAQ's asking the same thing
SENTENCE_CLOSE = 0.52  # similarity + WORD_WEIGHT * min(word score, WORD_CAP)
WORD_WEIGHT = 0.3
WORD_CAP = 1.5
MEANING_FLOOR = 0.5  # meaning must be close by itself: the words rank and confirm, never carry
SENTENCE_PASSAGES = 4  # sentences of the best passages only: the rest rank for a reason
FAQ_ANSWER_SENTENCES = 2


@dataclass(frozen=True)
class Opening:
    probe: str  # what is compared with the question
    sentences: list[str]  # the answer, if it is close
    passage: Any
    faq: bool
    words: float = 0.0  # the word match's score of a sentence (sitespeak.voice.answer)


def openings(question: str, passages: Sequence[answerer.PassageLike]) -> list[Opening]:
    """Every FAQ question of the passages (a question heading, or a question sentence with its
    answer after it), then every sentence of the best few passages with its word score."""
    faqs, plain = [], []
    for passage in passages:
        said = answerer.sentences_of(passage.text)
        heading = (passage.heading or "").rsplit(">", 1)[-1].strip()
        if heading.endswith("?"):
            answer = [s for s in said if not s.endswith("?")][:FAQ_ANSWER_SENTENCES]
            if answer:
                faqs.append(Opening(heading, answer, passage, True))
        for index, sentence in enumerate(said):
            after = said[index + 1 : index + 1 + FAQ_ANSWER_SENTENCES]
            if sentence.endswith("?"):
                after = [s for s in after if not s.endswith("?")]
                if after:
                    faqs.append(Opening(sentence, after, passage, True))
    for c in answerer.scored_sentences(question, list(passages), SENTENCE_PASSAGES):
        probe = f"{c.passage.heading}: {c.sentence}"
        plain.append(Opening(probe, [c.sentence], c.passage, False, c.score))
    return faqs + plain


def closest(question: str, found: list[Opening], scores: Sequence[float]) -> Opening | None:
    """The FAQ entry asking the same thing, else the sentence closest in meaning and words
    that holds the kind of fact asked for (a time for "when", an amount for "how much")."""
    ranked = sorted(zip(scores, range(len(found)), strict=True), reverse=True)
    for score, index in ranked:
        if found[index].faq and score >= FAQ_CLOSE:
            return found[index]
    evidence = answerer.EVIDENCE.get(kind_of(question))
    blended = sorted(
        (
            (score + WORD_WEIGHT * min(o.words, WORD_CAP), index)
            for (score, index), o in ((s, found[s[1]]) for s in ranked)
            if not o.faq and score >= MEANING_FLOOR
        ),
        reverse=True,
    )
    for score, index in blended:
        if score < SENTENCE_CLOSE:
            break
        if evidence is None or evidence.search(found[index].sentences[0]):
            return found[index]
    return None


async def second_look(
    question: str,
    passages: Sequence[Any],
    reply: answerer.Answer,
    meaning: Meaning,
    persona: Persona | None = None,
) -> answerer.Answer:
    """``reply`` unless it is a decline that a passage answers by meaning."""
    if reply.covered or reply.actions or not question.strip() or not passages:
        return reply
    if answerer.navigation_target(question):
        return reply
    asked = reply.understood or question
    found = openings(asked, passages)
    if not found:
        return reply
    scores = await meaning(asked, [o.probe for o in found])
    if scores is None:
        return reply
    match = closest(asked, found, scores)
    if match is None:
        return reply
    return answerer.from_sentences(match.sentences, match.passage, asked, persona)
