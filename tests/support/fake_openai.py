"""A fake OpenAI-compatible server on loopback, speaking the real wire protocol: chat completions
(SSE streaming, tool calls), audio transcriptions, audio speech (PCM), embeddings, and the
Realtime WebSocket. Our code talks to it through the real ``openai`` package.

Its "model" is a small deterministic rule set: it searches the site first (search_site), answers
with the passage sentence that best matches the question and cites it as [n], and navigates when
asked to take the visitor somewhere. Tests steer it with attributes (``delay``, ``fail``,
``transcript``) and read what it received (``requests``, ``realtime_events``).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from tests.support.fake_realtime import RealtimeFake
from tests.support.serving import serving

WORD = re.compile(r"[a-z0-9]+")
STOP = set(
    "a an the and or of to in on at for is are do does you your we our what when "
    "where how can i me my it".split()
)
PASSAGE = re.compile(r"^\[(\d+)\] .*?\((\S+?)\)\n(.+?)(?=\n\n\[\d+\] |\Z)", re.S | re.M)


def words(text: str) -> set[str]:
    return {w for w in WORD.findall(text.lower()) if w not in STOP}


def tone(seconds: float, rate: int = 24000, freq: float = 220.0) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * freq * t) * 8000).astype(np.int16).tobytes()


def best_sentence(question: str, passages_text: str) -> tuple[int, str] | None:
    """The passage sentence sharing the most words with the question, and its number."""
    asked, best, best_score = words(question), None, 0
    for number, _url, text in PASSAGE.findall(passages_text):
        for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
            score = len(asked & words(sentence))
            if score > best_score:
                best, best_score = (int(number), sentence.strip()), score
    return best


@dataclass
class FakeOpenAI:
    url: str = ""  # http://127.0.0.1:PORT/v1
    realtime_url: str = ""  # ws://127.0.0.1:PORT/v1
    delay: float = 0.0  # seconds before any response starts
    fail: int = 0  # HTTP status to answer with (0: answer normally)
    transcript: str = ""  # what the transcription "model" hears in non-silent audio
    word_delay: float = 0.0  # seconds between streamed words
    requests: list[dict[str, Any]] = field(default_factory=list)
    realtime: RealtimeFake | None = None
    # Requests after the first ``hold_after`` wait for ``released`` (None: none waits): a test
    # holds a job inside a call while it stops the job's worker, however fast the box is.
    hold_after: int | None = None
    released: threading.Event = field(default_factory=threading.Event)

    def reset(self) -> None:
        self.delay, self.fail, self.transcript, self.word_delay = 0.0, 0, "", 0.0
        self.hold_after = None
        self.released.set()
        self.released = threading.Event()
        self.requests.clear()
        if self.realtime:
            self.realtime.reset()

    def of(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith(path)]

    # --- the "model" ------------------------------------------------------------------------

    def chat_events(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Deltas of one streamed completion: a tool call round or the answer."""
        messages = body["messages"]
        question = next(m["content"] for m in reversed(messages) if m["role"] == "user")
        tools_done = [m for m in messages if m["role"] == "tool"]
        target = re.match(
            r"(?:take me to|go to|open) (?:the )?(.+?)(?: page)?[.!?]*$", question.strip(), re.I
        )
        if target and not tools_done:
            url = self._catalog_url(messages[0]["content"], target.group(1))
            yield _tool_call("navigate", {"page": url})
            return
        if not tools_done:
            yield _tool_call("search_site", {"query": question})
            return
        context = messages[0]["content"] + "\n\n" + "\n\n".join(m["content"] for m in tools_done)
        found = best_sentence(question, context.split("Passages\n", 1)[-1])
        if target:
            text = f"Here is the {target.group(1)} page."
        elif found is None:
            text = "I'm sorry, this site does not say."
        else:
            number, sentence = found
            text = f"{sentence.rstrip('.')} [{number}]. Anything else I can help with?"
        for piece in re.findall(r"\S+\s*", text):
            yield {"content": piece}

    @staticmethod
    def _catalog_url(system: str, name: str) -> str:
        for url, title in re.findall(r"^- (\S+) \((.*?)\)$", system, re.M):
            if words(name) & (words(title) | words(url.rsplit("/", 1)[-1])):
                return url
        return "https://elsewhere.example/"


def _tool_call(name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "tool_calls": [
            {
                "index": 0,
                "id": f"call_{name}_{time.monotonic_ns()}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
        ]
    }


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI  # set on the subclass

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        kind = self.headers.get("Content-Type", "")
        body = json.loads(raw) if "json" in kind else {}
        self.fake.requests.append(
            {
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
                "raw": raw if not body else b"",
            }
        )
        if self.fake.delay:
            time.sleep(self.fake.delay)
        held = self.fake.hold_after
        if held is not None and len(self.fake.requests) > held:
            self.fake.released.wait(60)
        if self.fake.fail:
            return self._json(
                self.fake.fail, {"error": {"message": "fake failure", "type": "server_error"}}
            )
        route = self.path.split("?")[0]
        handler = {
            "/v1/chat/completions": self._chat,
            "/v1/audio/transcriptions": self._stt,
            "/v1/audio/speech": self._speech,
            "/v1/embeddings": self._embeddings,
        }.get(route)
        if handler is None:
            return self._json(404, {"error": {"message": f"no route {route}"}})
        handler(body, raw)

    def _chat(self, body: dict[str, Any], _raw: bytes) -> None:
        events = list(self.fake.chat_events(body))
        if not body.get("stream"):
            text = "".join(e.get("content", "") for e in events)
            return self._json(
                200,
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "fake",
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": text},
                        }
                    ],
                },
            )
        self._start(200, "text/event-stream")
        self._sse(_chunk({"role": "assistant", "content": ""}))
        for delta in events:
            self._sse(_chunk(delta))
            time.sleep(self.fake.word_delay)
        finish = "tool_calls" if "tool_calls" in events[0] else "stop"
        self._sse(_chunk({}, finish))
        self.wfile.write(b"data: [DONE]\n\n")

    def _stt(self, _body: dict[str, Any], raw: bytes) -> None:
        audio = raw.split(b"RIFF", 1)[-1]
        pcm = np.frombuffer(audio[40 : len(audio) // 2 * 2 - 40], dtype=np.int16)
        loud = len(pcm) and float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2))) > 200
        self._json(200, {"text": self.fake.transcript if loud else ""})

    def _speech(self, body: dict[str, Any], _raw: bytes) -> None:
        pcm = tone(min(0.06 * len(body.get("input", "")), 8.0))
        self._start(200, "audio/pcm")
        for index in range(0, len(pcm), 4800):
            self.wfile.write(pcm[index : index + 4800])

    def _embeddings(self, body: dict[str, Any], _raw: bytes) -> None:
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = []
        for index, text in enumerate(texts):
            vector = np.zeros(64)
            for word in words(text):
                vector[hash(word) % 64] += 1.0
            data.append({"object": "embedding", "index": index, "embedding": vector.tolist()})
        self._json(
            200,
            {
                "object": "list",
                "data": data,
                "model": body.get("model", ""),
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            },
        )

    def _start(self, status: int, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Connection", "close")
        self.end_headers()

    def _sse(self, data: dict[str, Any]) -> None:
        self.wfile.write(b"data: " + json.dumps(data).encode() + b"\n\n")
        self.wfile.flush()

    def _json(self, status: int, data: dict[str, Any]) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serve_fake_openai() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    with serving(server):
        fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        realtime = RealtimeFake(fake)
        fake.realtime = realtime
        with realtime.serving() as ws_url:
            fake.realtime_url = ws_url
            yield fake
