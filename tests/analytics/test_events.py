"""The widget's event batches as the web path reads them: what each kind stores, and what is
refused with which message."""

from __future__ import annotations

import json

import pytest

from sitespeak.analytics.events import KINDS, parse_batch, stored_form
from sitespeak.errors import InvalidInput

ONE_OF_EACH = [
    {"type": "panel.opened", "page": "/"},
    {"type": "mic.started"},
    {"type": "question.asked", "mode": "spoken", "text": "hours?"},
    {"type": "answer.played", "turn": 2},
    {"type": "citation.clicked", "url": "https://shop.example/visit"},
    {"type": "action.performed", "action": "open_menu"},
    {"type": "action.refused", "action": "checkout"},
    {"type": "feedback", "turn": 1, "value": "down", "voice_session": "vs-12345678"},
    {"type": "session.ended", "page": "/bye"},
]


def batch(*events: dict) -> bytes:
    numbered = [{"id": f"event-{i:04d}", "session": "s-visitor", **e} for i, e in enumerate(events)]
    return json.dumps({"key": "pk_test", "events": numbered}).encode()


def test_every_kind_stores_its_own_fields_with_their_defaults():
    assert sorted({e["type"] for e in ONE_OF_EACH}) == sorted(KINDS)
    parsed = parse_batch(batch(*ONE_OF_EACH))
    stored = [stored_form(e) for e in parsed.events]
    assert [s["kind"] for s in stored] == [e["type"] for e in ONE_OF_EACH]
    assert stored[0] == {
        "client_id": "event-0000",
        "session_id": "s-visitor",
        "kind": "panel.opened",
        "data": {"page": "/"},
    }
    assert stored[2]["data"] == {"page": "", "mode": "spoken", "text": "hours?"}
    feedback = {"page": "", "turn": 1, "value": "down", "voice_session": "vs-12345678"}
    assert stored[7]["data"] == feedback
    for event, form in zip(parsed.events, stored, strict=True):
        # Plain values only: the batch is pickled onto the queue and stored as JSON.
        assert form["data"] == event.model_dump(exclude={"id", "session", "type"})
        assert all(isinstance(v, str | int | type(None)) for v in form["data"].values())


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe", b'{"key": "pk_test", "events": ['])
def test_a_body_that_is_not_json_is_refused_as_not_json(body):
    with pytest.raises(InvalidInput, match="the event batch is not JSON"):
        parse_batch(body)


def test_a_batch_python_can_read_but_a_strict_parser_cannot_is_judged_on_its_events():
    utf16 = batch({"type": "mic.started"}).decode().encode("utf-16")
    assert parse_batch(utf16).events[0].type == "mic.started"
    with pytest.raises(InvalidInput, match=r"bad event batch at events\.0\..*turn"):
        parse_batch(batch({"type": "answer.played", "turn": float("nan")}))


@pytest.mark.parametrize(
    "event, where",
    [
        ({"type": "question.asked", "mode": "shouted"}, "events.1.question.asked.mode"),
        ({"type": "teleported"}, "events.1"),
        ({"type": "mic.started", "extra": 1}, "events.1.mic.started.extra"),
    ],
)
def test_a_bad_event_is_refused_naming_where_it_is(event, where):
    with pytest.raises(InvalidInput, match=f"bad event batch at {where}: "):
        parse_batch(batch({"type": "panel.opened"}, event))
