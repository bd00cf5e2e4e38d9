"""The second look by meaning on the tuned sites' calibration sets (tests/answers/sites/<name>/
by_meaning.json: paraphrases in words the pages do not use, and questions the site does not
answer), asked through the voice turn's steps. A paraphrase is answered right or declined,
never with a wrong sentence; everything off the site is declined."""

from __future__ import annotations

import json

import pytest

from sitespeak.db.connection import database
from tests.support.answer_quality import SITES, ask, cited, holds

SETS = sorted(p.parent.name for p in SITES.glob("*/by_meaning.json"))
ANSWERED = 3  # at least this many right per site: the look must still answer


def _set(name: str) -> dict:
    return json.loads((SITES / name / "by_meaning.json").read_text())


@pytest.mark.parametrize("name", SETS)
def test_a_paraphrase_is_answered_right_or_declined_never_with_a_wrong_sentence(
    indexed, embedder, name
):
    site = indexed(name)
    right, wrong = [], []
    with database.connection_context():
        for q in _set(name)["questions"]:
            reply = ask(site.id, q["ask"], [], embedder)
            if holds(reply, q["fact"]) and cited(reply, site.url, q["cite"]):
                right.append(q["ask"])
            elif reply.covered:
                wrong.append((q["ask"], reply.text))
    assert not wrong
    assert len(right) >= ANSWERED, right


@pytest.mark.parametrize("name", SETS)
def test_questions_the_site_does_not_answer_stay_declined_after_the_second_look(
    indexed, embedder, name
):
    site = indexed(name)
    with database.connection_context():
        said = {q: ask(site.id, q, [], embedder) for q in _set(name)["declines"]}
    assert not [(q, r.text) for q, r in said.items() if r.covered]
