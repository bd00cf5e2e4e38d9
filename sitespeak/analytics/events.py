"""The widget's analytics events: what a batch may hold, checked on the web path before anything
is queued. A batch is all or nothing: one bad event refuses the batch with a 400 that names it,
so a buggy client learns at once and nothing half-stored needs cleaning up."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from sitespeak.errors import InvalidInput

MAX_BATCH = 100
MAX_BODY = 64 * 1024

ClientId = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Page = Annotated[str, Field(max_length=500)]


class _Event(BaseModel, extra="forbid"):
    id: ClientId  # the client's id for this event: a retried beacon carries the same ids
    session: ClientId  # the widget's visitor session (one tab, sessionStorage)
    page: Page = ""  # path of the page the visitor is on
    type: str  # each kind narrows it to its own literal, the union's discriminator


class PanelOpened(_Event):
    type: Literal["panel.opened"]


class MicStarted(_Event):
    type: Literal["mic.started"]


class QuestionAsked(_Event):
    type: Literal["question.asked"]
    mode: Literal["typed", "spoken"]
    text: str = Field("", max_length=1000)


class AnswerPlayed(_Event):
    type: Literal["answer.played"]
    turn: int = Field(ge=0, le=100_000)


class CitationClicked(_Event):
    type: Literal["citation.clicked"]
    url: str = Field(max_length=2000)


class ActionDone(_Event):
    type: Literal["action.performed", "action.refused"]
    action: str = Field(max_length=200)


class Feedback(_Event):
    type: Literal["feedback"]
    turn: int = Field(ge=0, le=100_000)
    value: Literal["up", "down"]
    voice_session: ClientId | None = None  # session.ready's session_id: the vote's conversation


class SessionEnded(_Event):
    type: Literal["session.ended"]


Event = Annotated[
    PanelOpened
    | MicStarted
    | QuestionAsked
    | AnswerPlayed
    | CitationClicked
    | ActionDone
    | Feedback
    | SessionEnded,
    Field(discriminator="type"),
]
KINDS = (
    "panel.opened",
    "mic.started",
    "question.asked",
    "answer.played",
    "citation.clicked",
    "action.performed",
    "action.refused",
    "feedback",
    "session.ended",
)


class Batch(BaseModel, extra="forbid"):
    key: str = Field(min_length=1, max_length=100)  # the site's publishable key
    events: list[Event] = Field(min_length=1, max_length=MAX_BATCH)


_BATCH = TypeAdapter(Batch)


def parse_batch(body: bytes) -> Batch:
    """The batch in a request body (JSON; sendBeacon posts it as text/plain), or InvalidInput
    naming the first problem and the event it is in."""
    if len(body) > MAX_BODY:
        raise InvalidInput(f"an event batch may be at most {MAX_BODY} bytes")
    try:
        # Parsed and validated in one pass in pydantic's core: no Python dicts built first.
        return _BATCH.validate_json(body)
    except ValidationError as exc:
        if exc.errors()[0]["type"] != "json_invalid":
            raise _refusal(exc) from None
    # What pydantic's parser refuses but Python's reads (UTF-16, NaN) is judged as before.
    try:
        raw = json.loads(body)
    except ValueError:
        raise InvalidInput("the event batch is not JSON") from None
    try:
        return _BATCH.validate_python(raw)
    except ValidationError as exc:
        raise _refusal(exc) from None


def _refusal(exc: ValidationError) -> InvalidInput:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return InvalidInput(f"bad event batch at {where}: {first['msg']}")


def stored_form(event: _Event) -> dict[str, Any]:
    """What the worker stores for one event: its ids, kind and the kind's own fields."""
    # Every kind's fields are scalars, so its __dict__ is what model_dump would build, at half
    # the cost (50 events a batch, on the web path).
    data = {k: v for k, v in event.__dict__.items() if k not in _IDS}
    return {"client_id": event.id, "session_id": event.session, "kind": event.type, "data": data}


_IDS = frozenset(("id", "session", "type"))
