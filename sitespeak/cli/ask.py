"""``ask SITE "question"``: one turn through the same voice pipeline the web process runs
(retrieval, answer, speech out), printed as ``{"answer", "citations", "timings"}`` with --json.
``--wav FILE`` asks a spoken question instead (mono 16-bit WAV, any rate) and prints what was heard.
A typed question loads no speech model unless ``--out`` asks for the spoken answer: the answer is
the same text, and loading Whisper and piper would cost seconds for nothing."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from pydantic import BaseModel

from sitespeak.cli.admin import connect
from sitespeak.cli.output import add_json_flag, emit
from sitespeak.db.connection import database
from sitespeak.db.models import Site
from sitespeak.errors import InvalidInput, NotFound
from sitespeak.settings import Settings
from sitespeak.voice.admission import Plan
from sitespeak.voice.audio import read_wav, wav_bytes
from sitespeak.voice.engine import SpeechEngine
from sitespeak.voice.turn import TurnInput, TurnResult, run_turn

OUTPUT_RATE = 22050


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="ask a site one question through the voice pipeline")
    p.add_argument("site", help="site key (pk_...), id or name")
    p.add_argument("question", nargs="?", default="", help="the question (or use --wav)")
    p.add_argument("--tenant", help="tenant name, when SITE is a name several tenants use")
    p.add_argument("--wav", type=Path, help="a spoken question: mono 16-bit WAV file")
    p.add_argument("--out", type=Path, help="write the spoken answer to this WAV file")
    add_json_flag(p)
    p.set_defaults(handler=cmd_ask)


def find_site(ref: str, tenant: str | None) -> Site:
    from sitespeak.sites import get_site, site_by_key
    from sitespeak.tenancy.tenants import get_tenant

    if ref.startswith("pk_"):
        site = site_by_key(ref)
    elif tenant:
        site = get_site(get_tenant(tenant).id, ref)
    else:
        found = list(
            Site.select().where(Site.id == int(ref) if ref.isdigit() else Site.name == ref).limit(2)
        )
        if len(found) > 1:
            raise InvalidInput(f"several tenants have a site named {ref!r}; add --tenant")
        site = found[0] if found else None
    if site is None:
        raise NotFound(f"no site {ref!r}")
    return site


class _Collect:
    """The CLI's outlet: keeps the answer audio instead of sending it."""

    def __init__(self) -> None:
        self.pcm = bytearray()

    async def event(self, message: BaseModel) -> None:
        pass

    async def audio(self, pcm: bytes) -> None:
        self.pcm += pcm


async def _ask(settings: Settings, site_id: int, turn: TurnInput) -> tuple[TurnResult, bytes]:
    from sitespeak.knowledge import retrieval
    from sitespeak.knowledge.embedders import embedder_for

    engine = SpeechEngine(settings)
    embedder = await engine.run(embedder_for, settings)

    async def retrieve(site: int, query: str, k: int) -> list:
        def search() -> list:
            with database.connection_context():
                return retrieval.search(site, query, k, embedder=embedder)

        return await engine.run(search)

    if turn.mode == "speech" or turn.plan.audio:
        await engine.ready()
    turn.ended_at = time.perf_counter()  # model loading is not part of the turn
    out = _Collect()
    try:
        result = await run_turn(
            turn, TurnResult(1, turn.mode), site_id, engine, retrieve, out, OUTPUT_RATE
        )
    finally:
        engine.close()
    return result, bytes(out.pcm)


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    if bool(args.question) == bool(args.wav):
        raise InvalidInput("give either a question or --wav FILE")
    connect(settings)
    with database.connection_context():
        site = find_site(args.site, args.tenant)
    if args.wav:
        try:
            audio = read_wav(args.wav)
        except (OSError, ValueError, EOFError) as exc:
            raise InvalidInput(f"--wav: {exc}") from None
        turn = TurnInput(1, "speech", 0.0, audio=audio)
    else:
        turn = TurnInput(1, "text", 0.0, text=args.question)
        if not args.out:
            turn.plan = Plan("text_only", 0.0)
    result, pcm = asyncio.run(_ask(settings, site.id, turn))
    if args.out:
        args.out.write_bytes(wav_bytes(pcm, OUTPUT_RATE))
    data = {
        "answer": result.answer,
        "citations": result.citations,
        "timings": result.timings,
        "transcript": result.transcript,
        "covered": result.covered,
        "actions": result.actions,
    }
    sources = "".join(
        f"\n  [{n}] {c['url']}" + (f"#{c['anchor']}" if c["anchor"] else "")
        for n, c in enumerate(result.citations, 1)
    )
    heard = f"Heard: {result.transcript}\n" if args.wav else ""
    emit(args, data, f"{heard}{result.answer}{sources}")
    return 0
