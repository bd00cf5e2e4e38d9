"""The /voice-ws wire protocol: every JSON message is a pydantic model (docs/voice-protocol.md).

JSON text frames carry control and events, each with a ``type``; binary frames carry audio in the
formats agreed by ``session.start`` / ``session.ready``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from sitespeak.errors import InvalidInput


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AudioFormat(Message):
    encoding: str = Field(
        "pcm16", max_length=20, description="Only `pcm16`: little-endian signed 16-bit PCM."
    )
    sample_rate: int = Field(16000, ge=1, le=192000, description="Samples per second.")
    channels: int = Field(1, ge=1, le=8, description="Only 1 (mono).")
    frame_ms: int = Field(20, ge=10, le=1000, description="Duration of one binary frame.")


INPUT_RATES = (16000,)
OUTPUT_RATES = (16000, 22050, 24000)


def format_problem(fmt: AudioFormat, rates: tuple[int, ...], what: str) -> str | None:
    """Why the server cannot use this audio format, or None."""
    if fmt.encoding != "pcm16" or fmt.channels != 1:
        return f"{what}: only mono pcm16 is supported (got {fmt.channels} channel {fmt.encoding})"
    if fmt.sample_rate not in rates:
        return f"{what}: sample_rate must be one of {', '.join(map(str, rates))}"
    return None


# --- client -> server -------------------------------------------------------------------------


# A session.start is a few hundred bytes; anything far larger is refused unparsed.
MAX_START_BYTES = 16 * 1024


class SessionStart(Message):
    type: Literal["session.start"]
    site_key: str = Field(..., min_length=4, max_length=100, description="Publishable site key.")
    page_url: str = Field("", max_length=2000, description="The page the visitor is on.")
    locale: str = Field("en-US", pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    input_format: AudioFormat = Field(default_factory=AudioFormat)
    output_format: AudioFormat = Field(
        default_factory=lambda: AudioFormat(sample_rate=22050, frame_ms=40)
    )
    resume_id: str | None = Field(
        None,
        min_length=8,
        max_length=100,
        description="From an earlier session.ready: continue it.",
    )


class InputCommit(Message):
    type: Literal["input.commit"]


class InputText(Message):
    type: Literal["input.text"]
    text: str = Field(..., min_length=1, max_length=1000)


class ResponseCancel(Message):
    type: Literal["response.cancel"]


class ActionResult(Message):
    type: Literal["action.result"]
    action_id: str = Field(..., max_length=100)
    ok: bool
    detail: str = Field("", max_length=1000)


class GreetingRequest(Message):
    """Say the site's greeting: the widget asks once, when the visitor first turns the
    microphone on in a conversation that has no question yet."""

    type: Literal["greeting.request"]


class Ping(Message):
    type: Literal["ping"]
    id: str | int | None = None


ClientMessage = Annotated[
    SessionStart | InputCommit | InputText | ResponseCancel | ActionResult | GreetingRequest | Ping,
    Field(discriminator="type"),
]
_client = TypeAdapter(ClientMessage)


# --- server -> client -------------------------------------------------------------------------


class Limits(Message):
    max_frame_bytes: int
    max_turn_seconds: float
    turns_per_minute: int
    idle_timeout_seconds: float


class SessionReady(Message):
    type: Literal["session.ready"] = "session.ready"
    session_id: str
    resume_id: str
    resumed: bool
    turns: int
    limits: Limits
    input_format: AudioFormat
    output_format: AudioFormat
    ack_sound: bool = Field(
        True,
        description="The site's owner wants a soft sound played when response.started arrives.",
    )
    greeting: str = Field(
        "",
        description="The site's greeting (or one in its persona's tone): the widget's first words.",
    )


class SpeechStarted(Message):
    type: Literal["speech.started"] = "speech.started"


class SpeechStopped(Message):
    type: Literal["speech.stopped"] = "speech.stopped"


class TranscriptPartial(Message):
    type: Literal["transcript.partial"] = "transcript.partial"
    text: str


class TranscriptFinal(Message):
    type: Literal["transcript.final"] = "transcript.final"
    text: str


class ResponseStarted(Message):
    type: Literal["response.started"] = "response.started"
    turn: int
    state: Literal["heard_you", "answering"]
    transcript: str = Field(
        "", description="The final transcript when ready, else the latest partial (may be empty)."
    )


class ResponseTextDelta(Message):
    type: Literal["response.text.delta"] = "response.text.delta"
    turn: int
    text: str


class ActionField(Message):
    name: str
    label: str = ""


class PageAction(Message):
    action_id: str
    kind: Literal["navigate", "scroll-to-section", "highlight", "fill", "submit", "click"]
    url: str
    anchor: str = ""
    label: str = ""
    catalog_id: int | None = Field(None, description="The site's action-catalog entry.")
    target: str = Field(
        "",
        description="fill/submit: `#form-id` or `form:N`; click: a CSS "
        "selector (`#id` or `[data-action=...]`).",
    )
    values: dict[str, str] = Field(default_factory=dict, description="fill: field name → value.")
    fields: list[ActionField] = Field(default_factory=list, description="fill: the form's fields.")
    confirm: bool = Field(False, description="The visitor must confirm before it happens.")


class ResponseAction(Message):
    type: Literal["response.action"] = "response.action"
    turn: int
    action: PageAction


class Citation(Message):
    url: str
    anchor: str = ""
    title: str = ""


class ResponseDone(Message):
    type: Literal["response.done"] = "response.done"
    turn: int
    text: str = Field(..., description="What was actually sent (shorter when interrupted).")
    citations: list[Citation]
    covered: bool = Field(..., description="False when the site does not cover the question.")
    interrupted: bool
    timings: dict[str, float] = Field(..., description="Milliseconds per stage of this turn.")


class ErrorEvent(Message):
    type: Literal["error"] = "error"
    code: str
    message: str
    fatal: bool


class SessionClosing(Message):
    type: Literal["session.closing"] = "session.closing"
    reason: str


class Pong(Message):
    type: Literal["pong"] = "pong"
    id: str | int | None = None


ServerMessage = Annotated[
    SessionReady
    | SpeechStarted
    | SpeechStopped
    | TranscriptPartial
    | TranscriptFinal
    | ResponseStarted
    | ResponseTextDelta
    | ResponseAction
    | ResponseDone
    | ErrorEvent
    | SessionClosing
    | Pong,
    Field(discriminator="type"),
]


def parse_client(raw: str) -> ClientMessage:
    """One client text frame as its model, or InvalidInput with a precise, short message."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"not JSON: {exc.msg} at position {exc.pos}", code="malformed_json"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise InvalidInput(
            "every message is a JSON object with a string 'type'", code="invalid_message"
        )
    try:
        return _client.validate_python(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"][1:]) or "type"
        raise InvalidInput(f"{data['type']}: {loc}: {err['msg']}", code="invalid_message") from None


def encode(message: BaseModel) -> str:
    return message.model_dump_json()


def json_schema() -> dict[str, Any]:
    """Both directions as one JSON Schema document (docs/voice-protocol.schema.json)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "SiteSpeak /voice-ws protocol",
        "client_to_server": TypeAdapter(ClientMessage).json_schema(),
        "server_to_client": TypeAdapter(ServerMessage).json_schema(),
    }


if __name__ == "__main__":  # python -m sitespeak.voice.protocol > docs/voice-protocol.schema.json
    print(json.dumps(json_schema(), indent=2, sort_keys=True))
