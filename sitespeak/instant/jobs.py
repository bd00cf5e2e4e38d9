"""The instant answers' job kind (voice queue): ``voice.prepare_answers`` for one site.

The job stops between two phrases when its worker stops: the phrases (worked out once) and how
many are done are kept as the job's checkpoint, and the next run synthesizes only the rest.

The worker never loads a speech model: the phrases are synthesized by the speech process (at
its background priority, below every visitor's turn), whose phrase cache every web process
shares. When it is unreachable the job fails with SpeechUnavailable and is retried later.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sitespeak.db.models import Site
from sitespeak.instant import phrases as instant
from sitespeak.jobs.context import JobContext
from sitespeak.jobs.registry import JobKind, RetryPolicy
from sitespeak.knowledge.jobs import SiteArgs, site_of
from sitespeak.voice.persona import site_persona

PREPARE = "voice.prepare_answers"


def prepare_answers(ctx: JobContext, args: SiteArgs) -> dict[str, Any]:
    from sitespeak.speech.background import BackgroundSpeech

    site = site_of(ctx.tenant_id, args)
    speech = BackgroundSpeech(ctx.settings)

    def between(progress: dict[str, Any]) -> None:
        ctx.progress(phrases=len(progress["texts"]), done=progress["done"])
        ctx.stop_point(progress)

    async def run() -> dict[str, int]:
        try:
            await speech.ready()  # no speech process: fail (and retry) before any other work
            progress = instant.resumed(ctx.resume)
            if progress is None:
                progress = instant.Progress(texts=await _phrases(ctx, site))
            return await instant.prepare(progress, speech.say, between)
        finally:
            speech.close()

    return {"site_id": site.id, **asyncio.run(run())}


async def _phrases(ctx: JobContext, site: Site) -> list[str]:
    # Imported on the first job: retrieval loads the embedder (onnxruntime, numpy).
    from sitespeak.analytics.summary import site_summary
    from sitespeak.knowledge.embedders import embedder_for
    from sitespeak.knowledge.retrieval import search

    embedder = embedder_for(ctx.settings)

    async def retrieve(site_id: int, query: str, k: int) -> list[Any]:
        return search(site_id, query, k, embedder=embedder)

    options = site.options or {}
    persona = site_persona(options)
    greeting = persona.greeting(site.name, options.get("greeting", ""))
    top = site_summary(site.tenant_id, site.id, instant.TOP_DAYS)["top_questions"]
    questions = instant.questions_for(top)
    return await instant.phrases(site.id, greeting, persona, questions, retrieve)


# The speech process restarts in seconds: retry a few times, spaced out.
_LATER = RetryPolicy(attempts=4, backoff_base=30.0, backoff_max=600.0)
KINDS = (JobKind(PREPARE, prepare_answers, SiteArgs, ("voice",), _LATER, check=site_of),)
