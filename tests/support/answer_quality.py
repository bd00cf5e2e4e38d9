"""The answer-quality harness shared by tests/answers and bench/answers.py: test sites kept as
data files (tests/answers/sites/<name>/: the pages and questions.json), served on loopback, and
their question sets asked through the same steps as a voice turn (understand, retrieve,
answer). A question counts as answered when the displayed answer holds the expected fact and
its first citation is the expected page (or section)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitespeak.knowledge.retrieval import search
from sitespeak.voice import answer as answerer
from sitespeak.voice import by_meaning
from tests.support.site_server import NOT_FOUND, Reply, Request, Respond, SiteServer

SITES = Path(__file__).resolve().parents[1] / "answers" / "sites"
PASSAGES = 8  # as many as a voice turn retrieves (sitespeak.voice.turn.PASSAGES)


def site_names(root: Path = SITES) -> list[str]:
    return sorted(p.name for p in root.iterdir() if (p / "questions.json").exists())


def question_set(name: str, root: Path = SITES) -> dict[str, Any]:
    return json.loads((root / name / "questions.json").read_text())


def _files(root: Path) -> Respond:
    def respond(request: Request) -> Reply:
        path = request.path.rstrip("/") or "/index"
        file = root / (path.lstrip("/") + ("" if path.endswith(".txt") else ".html"))
        if not file.resolve().is_relative_to(root) or not file.is_file():
            return NOT_FOUND
        kind = "text/plain" if file.suffix == ".txt" else "text/html; charset=utf-8"
        return Reply(200, file.read_bytes(), kind)

    return respond


@contextmanager
def serve_site(name: str, root: Path = SITES) -> Iterator[str]:
    """The named test site (a folder of ``root``) on a loopback port; yields its base URL."""
    with SiteServer(_files((root / name).resolve())) as server:
        yield server.url


def ask(site_id: int, question: str, history: list[dict[str, str]], embedder) -> Any:
    """One question through the voice turn's steps, synchronously."""
    found = search(site_id, answerer.query_for(question, history), PASSAGES, embedder=embedder)
    reply = answerer.answer(question, found, history)

    async def meaning(query: str, texts: list[str]) -> list[float]:
        matrix = embedder.embed([query, *texts])
        return [float(x) for x in matrix[1:] @ matrix[0]]

    return asyncio.run(by_meaning.second_look(question, found, reply, meaning))


def _where(citation: dict[str, str], base: str) -> str:
    path = citation["url"][len(base) :] or "/"
    return path + (f"#{citation['anchor']}" if citation.get("anchor") else "")


def _matches(where: str, expected: list[str]) -> bool:
    return any(where == e or ("#" not in e and where.split("#")[0] == e) for e in expected)


def cited(reply: Any, base: str, expected: list[str]) -> bool:
    """The first citation is one of the expected pages ("/visit") or sections ("/visit#x")."""
    return bool(reply.citations) and _matches(_where(reply.citations[0], base), expected)


def holds(reply: Any, facts: list[str]) -> bool:
    return reply.covered and any(f.lower() in reply.text.lower() for f in facts)


@dataclass
class Outcome:
    kind: str  # question | top3 (retrieval alone) | navigation | decline | followup
    asked: str
    ok: bool
    said: str
    spoken_words: int
    cited: str = ""


@dataclass
class Report:
    site: str
    outcomes: list[Outcome] = field(default_factory=list)

    def of(self, kind: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == kind]

    def rate(self, kind: str) -> float:
        done = self.of(kind)
        return sum(o.ok for o in done) / len(done) if done else 1.0

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


def _spoken_words(reply: Any) -> int:
    return len(" ".join(getattr(reply, "spoken", None) or reply.sentences).split())


def _outcome(kind: str, asked: str, ok: bool, reply: Any, base: str) -> Outcome:
    where = _where(reply.citations[0], base) if reply.citations else ""
    return Outcome(kind, asked, ok, reply.text, _spoken_words(reply), where)


def evaluate(name: str, site_id: int, base: str, embedder, root: Path = SITES) -> Report:
    spec = question_set(name, root)
    report = Report(name)
    for q in spec["questions"]:
        reply = ask(site_id, q["ask"], [], embedder)
        ok = holds(reply, q["fact"]) and cited(reply, base, q["cite"])
        report.outcomes.append(_outcome("question", q["ask"], ok, reply, base))
        top = search(site_id, answerer.query_for(q["ask"]), 3, embedder=embedder)
        found = [_where({"url": p.url, "anchor": p.anchor or ""}, base) for p in top]
        hit = any(_matches(w, q["cite"]) for w in found)
        report.outcomes.append(Outcome("top3", q["ask"], hit, " | ".join(found), 0))
    for q in spec["navigation"]:
        reply = ask(site_id, q["ask"], [], embedder)
        ok = any(a["url"][len(base) :] == q["url"] for a in reply.actions)
        report.outcomes.append(_outcome("navigation", q["ask"], ok, reply, base))
    for question in spec["declines"]:
        reply = ask(site_id, question, [], embedder)
        report.outcomes.append(_outcome("decline", question, not reply.covered, reply, base))
    for conv in spec["followups"]:
        history: list[dict[str, str]] = []
        for turn in conv["turns"]:
            reply = ask(site_id, turn, history, embedder)
            history.append({"q": turn, "a": reply.text})
        ok = holds(reply, conv["fact"]) and cited(reply, base, conv["cite"])
        report.outcomes.append(_outcome("followup", " / ".join(conv["turns"]), ok, reply, base))
    return report
