"""The event bus's messages: typed on both sides, the wire format unchanged."""

from __future__ import annotations

import json

import pytest

from sitespeak.events.bus import Event, EventType, encode


def test_an_event_comes_back_from_the_wire_as_the_same_typed_event():
    raw = encode(EventType.JOB_PROGRESS, 7, {"id": "a1", "done": 3})
    event = Event.from_json(raw)
    assert event is not None and event.type is EventType.JOB_PROGRESS
    assert (event.tenant_id, event.data) == (7, {"id": "a1", "done": 3})
    # What SSE clients and older processes read: plain JSON with the kind's dotted name.
    assert json.loads(raw)["type"] == "job.progress"
    assert json.loads(event.to_json()) == json.loads(raw)


@pytest.mark.parametrize(
    "raw",
    [
        '{"type": "site.renamed", "tenant_id": 1, "data": {}, "ts": 0}',  # a kind we do not know
        '{"tenant_id": 1, "data": {}}',
        '{"type": "job.updated", "tenant_id": "one", "data": {}, "ts": 0}',
        "[1, 2]",
        "not json",
    ],
)
def test_a_message_that_is_not_one_of_our_events_is_dropped(raw):
    assert Event.from_json(raw) is None
