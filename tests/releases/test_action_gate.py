"""The page-action gate reads the live catalog only when the catalog can change the reply: an
answer with no page action, to a question that asks for none, passes unchanged whatever the
release offers, so a voice turn gives it without a database round trip."""

from __future__ import annotations

import pytest

from sitespeak.actions.catalog import OfferedAction
from sitespeak.actions.vetting import needs_catalog, vet
from sitespeak.voice.answer import Answer

CATALOGS = [
    [],
    [
        OfferedAction(1, "contact", "navigate", "https://bakery.test/contact", label="Contact"),
        OfferedAction(
            2,
            "order",
            "fill",
            "https://bakery.test/order",
            "form#order",
            "Cake order",
            [{"name": "name", "label": "Name"}],
        ),
        OfferedAction(3, "newsletter", "click", "https://bakery.test/", "#join", "Newsletter"),
        OfferedAction(4, "send", "submit", "https://bakery.test/order", "form#order", "Cake order"),
    ],
]
ANSWERED = Answer(["Call us at 555 0100."], [{"url": "https://bakery.test/"}], True)
DECLINED = Answer(["Sorry, I couldn't find that on this site."], [], False)
TO_PAGE = Answer(
    ["Taking you to the Contact page."],
    [],
    True,
    [{"kind": "navigate", "url": "https://bakery.test/contact", "anchor": "", "label": "Contact"}],
)


@pytest.mark.parametrize("catalog", CATALOGS)
def test_an_answer_without_page_actions_to_a_plain_question_needs_no_catalog(catalog):
    for question in ("What is your phone number?", "Um, what's your phone number, please?"):
        assert not needs_catalog(question, ANSWERED)
        assert vet(catalog, question, ANSWERED) is ANSWERED


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        ("Fill in the cake order form with name Ana", ANSWERED),
        ("Please click the newsletter button", ANSWERED),
        ("Send the cake order form", ANSWERED),
        ("Do you sell wedding cakes?", DECLINED),  # may point on to the contact page
        ("Take me to the contact page", TO_PAGE),  # kept only if the catalog offers it
    ],
)
def test_a_request_an_action_or_a_decline_is_vetted_against_the_catalog(question, reply):
    assert needs_catalog(question, reply)
    assert vet(CATALOGS[0], question, reply) != vet(CATALOGS[1], question, reply)
