"""Matching a visitor's question to a prepared one beyond the exact words: both sides are
normalised (case, punctuation, contractions, filler words and polite lead-ins) and compared
whole. The retrieval query is what is matched, on both sides: the job records what its answer
path searched for, and a turn's search for the same normalised query, at the same knowledge
version of the site, gets the recorded passages without searching, so the answer it composes
is the prepared one and its audio is in the phrase cache.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sitespeak.voice.composed import PreparedPassages

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
FILLERS = frozenset(
    "um umm uh uhh er erm hmm ah oh so well okay ok hey hi hello please just actually basically "
    "like".split()
)
CONTRACTIONS = {
    "what's": "what is",
    "where's": "where is",
    "when's": "when is",
    "who's": "who is",
    "how's": "how is",
    "it's": "it is",
    "you're": "you are",
    "what're": "what are",
    "i'd": "i would",
    "don't": "do not",
    "doesn't": "does not",
    "isn't": "is not",
    "aren't": "are not",
    "can't": "cannot",
}
LEAD_INS = (
    "can you tell me",
    "could you tell me",
    "would you tell me",
    "tell me",
    "i would like to know",
    "i want to know",
)


def normalise(question: str) -> str:
    """The question's words in lower case without punctuation, fillers or a polite lead-in:
    "Um, what's your PHONE number, please?" -> "what is your phone number"."""
    words = _WORD.findall(question.lower().replace("\u2019", "'"))
    expanded = " ".join(CONTRACTIONS.get(w, w) for w in words).split()
    text = " ".join(w for w in expanded if w not in FILLERS)
    for lead in LEAD_INS:
        if text.startswith(lead + " "):
            return text[len(lead) + 1 :]
    return text


Search = Callable[[int, str, int], Awaitable[list[Any]]]
# The site's knowledge version as retrieval sees it now.
Version = Callable[[int], Awaitable[int]]
# The prepared set of a site at a version: normalised query -> passages.
LoadSet = Callable[[int, int], Awaitable[dict[str, list[Any]]]]


class PreparedRetrieval:
    """A retriever (``(site_id, query, k) -> passages``) that answers a prepared query from the
    site's prepared set and searches for everything else. The set is loaded once per site and
    knowledge version and re-read every ``check_every`` seconds (a preparation that finished
    after the first read is picked up). The passages of a prepared query come with the answers
    composed from them (sitespeak.voice.composed), kept across reloads while they are the same."""

    def __init__(
        self, search: Search, version: Version, load: LoadSet, check_every: float = 30.0
    ) -> None:
        self.search, self.version, self.load = search, version, load
        self.check_every = check_every
        self._sets: dict[int, tuple[int, float, dict[str, PreparedPassages]]] = {}
        # Turns arriving together on a cold (or due) site share one read: ten visitors at once
        # each reading the whole set was the rest of a cold start's p95.
        self._reading: dict[tuple[int, int], asyncio.Future[dict[str, PreparedPassages]]] = {}

    async def __call__(self, site_id: int, query: str, k: int) -> list[Any]:
        try:
            prepared = await self._set(site_id)
        except Exception:  # noqa: BLE001 - no prepared set (an outage) is a search, not an error
            prepared = {}
        found = prepared.get(normalise(query)) if query.strip() else None
        if found is not None:
            return found.first(k)
        return await self.search(site_id, query, k)

    async def _set(self, site_id: int) -> dict[str, PreparedPassages]:
        version = await self.version(site_id)
        held = self._sets.get(site_id)
        fresh = held is not None and time.monotonic() - held[1] < self.check_every
        if held is not None and fresh and held[0] == version:
            return held[2]
        key = (site_id, version)
        reading = self._reading.get(key)
        if reading is None:
            reading = asyncio.ensure_future(self._read(site_id, version))
            self._reading[key] = reading
            reading.add_done_callback(lambda done: self._read_done(key, done))
        # Shielded: a turn cut short by barge-in leaves the read to the others waiting on it.
        return await asyncio.shield(reading)

    def _read_done(self, key: tuple[int, int], done: asyncio.Future[Any]) -> None:
        self._reading.pop(key, None)
        if not done.cancelled():
            done.exception()  # seen, even when every turn waiting on it was cut short

    async def _read(self, site_id: int, version: int) -> dict[str, PreparedPassages]:
        held = self._sets.get(site_id)
        before = held[2] if held is not None else {}
        loaded = await self.load(site_id, version)
        prepared = {key: _kept(passages, before.get(key)) for key, passages in loaded.items()}
        self._sets[site_id] = (version, time.monotonic(), prepared)
        return prepared


def _kept(passages: list[Any], before: PreparedPassages | None) -> PreparedPassages:
    """The answers composed before go on only with the very same passages (the same chunks,
    words and scores): anything else may compose another answer."""
    if before is not None and list(before) == list(passages):
        return before
    return PreparedPassages(passages)
