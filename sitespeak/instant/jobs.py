"""The instant answers' job kind (voice queue): ``voice.prepare_answers`` for one site.

Submitted when a site's knowledge changes (a reaction to ``knowledge-base.updated``, whoever
announces it: the crawl, the embedding, a release) once per knowledge version, and daily for
every crawled site (the top questions move), once per day. The job stops between two phrases
when its worker stops: the phrases (worked out once) and how many are done are kept as the
job's checkpoint, and the next run synthesizes only the rest.

An answer prepared before whose passages are unchanged is kept (moved to the new knowledge
version before anything else, so turns match it meanwhile) and not searched for again; only the
answers whose passages changed are.

The worker never loads a speech model: the phrases are synthesized by the speech process (at
its background priority, below every visitor's turn), whose phrase cache every web process
shares. With the local embedder the questions' vectors come from there too, so the worker loads
no onnxruntime (~195 MB) for a job that needs a dozen vectors. When the speech process is
unreachable the job fails with SpeechUnavailable and is retried later (answers worked out from
keywords alone would be kept until the next knowledge version); when it has no embedder or
another one, questions are searched by keywords alone, as a web process does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from pydantic import Field

from sitespeak.db.models import Site
from sitespeak.events.bus import EventType
from sitespeak.instant import phrases as instant
from sitespeak.instant.prepared_set import Prepared, carry_forward, replace_set
from sitespeak.jobs.context import JobContext, Submitter
from sitespeak.jobs.registry import JobKind, Reaction, RetryPolicy
from sitespeak.knowledge.jobs import SiteArgs, site_of
from sitespeak.releases import serving
from sitespeak.voice.persona import site_persona

if TYPE_CHECKING:
    from sitespeak.settings import Settings
    from sitespeak.speech.background import BackgroundSpeech
    from sitespeak.voice.turn import Retriever

log = logging.getLogger(__name__)
PREPARE = "voice.prepare_answers"


class PrepareArgs(SiteArgs):
    # The knowledge version that asked for it: a job outrun by a newer version leaves the
    # work to that version's job.
    version: int | None = Field(None, ge=0)


def prepare_answers(ctx: JobContext, args: PrepareArgs) -> dict[str, Any]:
    from sitespeak.speech.background import BackgroundSpeech

    site = site_of(ctx.tenant_id, args)
    if args.version is not None and site.knowledge_version > args.version:
        return {"site_id": site.id, "superseded_by": site.knowledge_version}
    speech = BackgroundSpeech(ctx.settings)

    def between(progress: dict[str, Any]) -> None:
        ctx.progress(phrases=len(progress["texts"]), done=progress["done"])
        ctx.stop_point(progress)

    async def run() -> dict[str, int]:
        try:
            await speech.ready()  # no speech process: fail (and retry) before any other work
            progress = instant.resumed(ctx.resume)
            if progress is None:
                kept = carry_forward(site.tenant_id, site.id, site.knowledge_version)
                texts, answers = await _phrases(ctx, site, kept, speech)
                # Matched from now on; the audio follows phrase by phrase (a turn that comes
                # first synthesizes as it would have).
                replace_set(site.tenant_id, site.id, site.knowledge_version, answers)
                reused = sum(answer.question in kept for answer in answers)
                progress = instant.Progress(texts=texts, kept=reused)
            return await instant.prepare(progress, speech.say, between)
        finally:
            speech.close()

    return {"site_id": site.id, **asyncio.run(run())}


async def _phrases(
    ctx: JobContext, site: Site, kept: dict[str, Prepared], speech: BackgroundSpeech
) -> tuple[list[str], list[Prepared]]:
    from sitespeak.analytics.summary import site_summary

    options = serving.serving_options(site)  # the persona and greeting of its live release
    persona = site_persona(options)
    greeting = persona.greeting(site.name, options.get("greeting", ""))
    top = site_summary(site.tenant_id, site.id, instant.TOP_DAYS)["top_questions"]
    questions = instant.questions_for(top)
    retrieve = _retriever(ctx.settings, speech)
    return await instant.phrases(site.id, greeting, persona, questions, retrieve, kept)


def _retriever(settings: Settings, speech: BackgroundSpeech) -> Retriever:
    # Imported on the first job: retrieval brings numpy.
    from sitespeak.knowledge import query_vectors, retrieval
    from sitespeak.knowledge.embedders import LocalEmbedder, embedder_for

    if settings.embedder != "local":
        embedder = embedder_for(settings)  # an embeddings API: called from here, nothing loaded

        async def by_api(site_id: int, query: str, k: int) -> list[Any]:
            return retrieval.search(site_id, query, k, embedder=embedder)

        return by_api
    model = LocalEmbedder.name
    if speech.embedder_name != model:
        log.warning(
            "the speech process embeds with %r, not %r: answers prepared from keywords alone",
            speech.embedder_name or "no model",
            model,
        )

    async def by_speech(site_id: int, query: str, k: int) -> list[Any]:
        vector = query_vectors.shared.get(model, query)
        if vector is None and speech.embedder_name == model and query.strip():
            _, matrix = await speech.embed([query.strip()])  # SpeechUnavailable: retried
            vector = matrix[0]
            query_vectors.shared.put(model, query, vector)
        return retrieval.search_with_vector(site_id, query, k, model=model, vector=vector)

    return by_speech


def on_knowledge_change(jobs: Submitter, tenant_id: int | None, data: dict[str, Any]) -> None:
    """A site's knowledge changed: prepare its answers again, once per knowledge version."""
    site_id, version = data.get("site_id"), data.get("version")
    if tenant_id is None or not isinstance(site_id, int) or not isinstance(version, int):
        return
    jobs.submit(
        tenant_id,
        PREPARE,
        {"site_id": site_id, "version": version},
        idempotency_key=f"instant:{site_id}:v{version}",
    )


class DailyPreparation:
    """A schedule pass for the worker: once a day, every crawled site's answers prepared again
    (the top questions move). Remembers the day it submitted, so most passes touch no database;
    the day in the idempotency key makes a second worker's pass add nothing."""

    def __init__(self) -> None:
        self.submitted = ""

    def __call__(self, jobs: Submitter, now: dt.datetime | None = None) -> int:
        day = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d")
        if self.submitted == day:
            return 0
        created = 0
        for site in Site.select(Site.id, Site.tenant).where(Site.last_crawl_at.is_null(False)):
            _, new = jobs.submit(
                site.tenant_id,
                PREPARE,
                {"site_id": site.id},
                idempotency_key=f"instant:{site.id}:{day}",
            )
            created += new
        self.submitted = day  # only once every site has its job: a failed pass is run again
        return created


# The speech process restarts in seconds: retry a few times, spaced out.
_LATER = RetryPolicy(attempts=4, backoff_base=30.0, backoff_max=600.0)
KINDS = (JobKind(PREPARE, prepare_answers, PrepareArgs, ("voice",), _LATER, check=site_of),)
REACTIONS = (Reaction(EventType.KNOWLEDGE_UPDATED, on_knowledge_change),)
