"""The instant answers' job kind (voice queue): ``voice.prepare_answers`` for one site.

Not submitted by the crawl or a schedule yet: the job cannot be interrupted, and a worker that
stops waits for it (many phrases at background priority), so it must first learn to stop
between phrases. Until then it is submitted by name (an operator, a test).

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

    async def run() -> dict[str, int]:
        try:
            await speech.ready()  # no speech process: fail (and retry) before any other work
            texts = await _phrases(ctx, site)
            return await instant.prepare(texts, speech.say)
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
