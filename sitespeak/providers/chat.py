"""The OpenAI answerer: a streamed chat completion grounded in the retrieved passages, with tools
the model may call (search_site, navigate, scroll_to). Sentences are yielded as soon as they are
complete, so speech starts on the first one; a slow or failing provider falls back to the local
extractive answerer within the first-token budget, and the turn record says so.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any

from sitespeak.providers.catalog import Catalog
from sitespeak.providers.prompt import TOOLS, messages_for, passage_block
from sitespeak.voice import answer as local
from sitespeak.voice.persona import Persona

log = logging.getLogger(__name__)
Retriever = Callable[[int, str, int], Awaitable[list[Any]]]
MARKER = re.compile(r"\s*\[(\d{1,2})\]")
SENTENCE = re.compile(r"(?<=[.!?])\s+")
MAX_TOOL_ROUNDS = 3


class Fallback(Exception):
    """The provider did not start answering in time, or failed before it did."""


class Sentences:
    """Deltas in, whole sentences out; citation markers [n] are removed and remembered."""

    def __init__(self) -> None:
        self.buffer = ""
        self.cited: list[int] = []

    def feed(self, text: str) -> list[str]:
        self.buffer += text
        parts = SENTENCE.split(self.buffer)
        self.buffer = parts.pop()
        return [s for s in (self._clean(p) for p in parts) if s]

    def flush(self) -> list[str]:
        rest, self.buffer = self._clean(self.buffer), ""
        return [rest] if rest else []

    def _clean(self, sentence: str) -> str:
        for number in MARKER.findall(sentence):
            if int(number) not in self.cited:
                self.cited.append(int(number))
        return MARKER.sub("", sentence).strip()


def visible(text: str) -> str:
    """A delta as the visitor may see it: no citation markers."""
    return MARKER.sub("", text)


class OpenAIAnswerer:
    """One turn's answer. ``sink`` is the turn's AnswerSink (deltas, actions, citations, notes)."""

    name = "openai"

    def __init__(
        self,
        client: Any,
        model: str,
        budget: float,
        retrieve: Retriever,
        site_id: int,
        catalog: Catalog,
        persona: Persona | None = None,
    ) -> None:
        self.persona = persona or Persona()
        self.client, self.model, self.budget = client, model, budget
        self.retrieve, self.site_id, self.catalog = retrieve, site_id, catalog
        self._searched: tuple[str, list[Any]] = ("", [])  # what the turn searched for, found

    async def stream(
        self, question: str, passages: list[Any], history: list[dict[str, str]], sink: Any
    ) -> AsyncGenerator[str, None]:
        started = time.perf_counter()
        known = list(passages)
        self._searched = (local.query_for(question, history).strip(), list(passages))
        splitter = Sentences()
        try:
            chunks = await self._first_text(question, known, history, sink, started)
        except Fallback as why:
            sink.note("fallback", f"answerer: {why}; used the local answerer")
            log.warning("openai answerer fell back to local: %s", why)
            async for sentence in self._local(question, known, history, sink):
                yield sentence
            return
        try:
            async for text in chunks:
                await sink.delta(visible(text))
                for sentence in splitter.feed(text):
                    yield sentence
        except Exception as exc:  # noqa: BLE001 - keep what was said; note why it stopped
            sink.note("stream_error", f"answerer stream stopped: {type(exc).__name__}")
            log.warning("openai answer stream stopped: %s", type(exc).__name__)
        for sentence in splitter.flush():
            yield sentence
        self._cite(splitter.cited, known, sink)

    async def _local(
        self, question: str, passages: list[Any], history: list[dict[str, str]], sink: Any
    ) -> AsyncGenerator[str, None]:
        reply = local.answer(question, passages, history, self.persona)
        sink.cite(reply.citations, reply.covered)
        for action in reply.actions:
            await sink.action(action)
        for sentence in reply.sentences:
            await sink.delta(sentence + " ")
            yield sentence

    def _cite(self, cited: list[int], known: list[Any], sink: Any) -> None:
        used = [known[n - 1] for n in cited if 0 < n <= len(known)]
        sink.cite(local._citations(used), bool(used) or bool(sink.actions))

    async def _first_text(
        self,
        question: str,
        known: list[Any],
        history: list[dict[str, str]],
        sink: Any,
        started: float,
    ) -> AsyncIterator[str]:
        """Run tool rounds until the model produces text; all within the budget."""
        messages = messages_for(question, known, history, self.catalog, self.persona)
        for _ in range(MAX_TOOL_ROUNDS + 1):
            left = self.budget - (time.perf_counter() - started)
            try:
                stream = await asyncio.wait_for(self._open(messages), max(left, 0.01))
                first, calls, rest = await asyncio.wait_for(
                    _until_text(stream), max(self.budget - (time.perf_counter() - started), 0.01)
                )
            except TimeoutError:
                raise Fallback(f"no answer within {self.budget:g}s") from None
            except Exception as exc:  # noqa: BLE001 - any provider failure degrades the same way
                raise Fallback(f"{type(exc).__name__} from the provider") from None
            if first is not None:
                sink.first_token()
                return _prepend(first, rest)
            messages.append({"role": "assistant", "content": None, "tool_calls": calls})
            for call in calls:
                result = await self._tool(call, known, sink)
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
        raise Fallback("too many tool rounds")

    def _searched_before(self, query: str, k: int) -> list[Any] | None:
        """The turn's own passages when the model searches for the very words the turn searched
        for just before: the same search ranks the same, so its best ``k`` are what a second
        search would return (the turn asked for more). Saves a search on the way to the first
        audio: models often search for the question as asked."""
        words, found = self._searched
        return list(found[:k]) if words and query.strip() == words else None

    async def _open(self, messages: list[dict[str, Any]]) -> Any:
        return await self.client.chat.completions.create(
            model=self.model,
            messages=messages,
            tools=TOOLS,
            stream=True,
            temperature=0.2,
            max_tokens=300,
        )

    async def _tool(self, call: dict[str, Any], known: list[Any], sink: Any) -> str:
        name = call["function"]["name"]
        try:
            args = json.loads(call["function"]["arguments"] or "{}")
        except ValueError:
            return json.dumps({"error": "arguments are not JSON"})
        sink.tool(name, args)
        if name == "search_site":
            query = str(args.get("query", ""))[:300]
            found = self._searched_before(query, 5)
            if found is None:
                found = await self.retrieve(self.site_id, query, 5)
            first = len(known) + 1
            known.extend(found)
            return passage_block(found, first) or "No passages matched."
        target = (
            self.catalog.page(str(args.get("page", "")))
            if name == "navigate"
            else self.catalog.section(str(args.get("anchor", "")))
            if name == "scroll_to"
            else None
        )
        if target is None:
            return json.dumps({"error": f"{name}: not a target in this site's catalog"})
        await sink.action(target)
        return json.dumps({"ok": True, "label": target["label"]})


async def _until_text(stream: Any) -> tuple[str | None, list[dict[str, Any]], Any]:
    """Read until the first text delta (returned with the live iterator) or the end of a
    tool-call round (its assembled calls)."""
    calls: dict[int, dict[str, Any]] = {}
    iterator = stream.__aiter__()
    async for chunk in iterator:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        if delta.content:
            return delta.content, [], iterator
        for part in delta.tool_calls or []:
            call = calls.setdefault(
                part.index,
                {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
            )
            call["id"] = part.id or call["id"]
            if part.function is not None:
                call["function"]["name"] += part.function.name or ""
                call["function"]["arguments"] += part.function.arguments or ""
    if not calls:
        raise RuntimeError("the model returned neither text nor tool calls")
    return None, [calls[i] for i in sorted(calls)], iterator


async def _prepend(first: str, rest: Any) -> AsyncIterator[str]:
    yield first
    async for chunk in rest:
        if chunk.choices and chunk.choices[0].delta.content:
            yield chunk.choices[0].delta.content
