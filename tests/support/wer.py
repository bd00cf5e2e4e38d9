"""Word error rate: word-level edit distance (substitutions, insertions, deletions) over the
reference's word count, after the normalisation speech tests need (case, punctuation, "'s")."""

from __future__ import annotations

import re

_CONTRACTION = re.compile(r"\b(what|where|who|how|it|that|there)'s\b")
_NOT_WORD = re.compile(r"[^\w' ]+")


def words(text: str) -> list[str]:
    text = text.lower().replace("-", " ").replace("centre", "center")
    # "Where's the contact page?" answers "Where is the contact page?" just as well.
    text = _CONTRACTION.sub(r"\1 is", text)
    return _NOT_WORD.sub(" ", text).split()


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        diagonal, row[0] = row[0], i
        for j, hyp in enumerate(hypothesis, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (ref != hyp))
    return row[-1]


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Over a whole set: total edits / total reference words (not a mean of per-line rates)."""
    pairs = zip(references, hypotheses, strict=True)
    edits = sum(edit_distance(words(r), words(h)) for r, h in pairs)
    return edits / max(sum(len(words(r)) for r in references), 1)
