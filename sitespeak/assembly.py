"""How SiteSpeak's processes are put together: the only module that knows every capability.

It builds the job registry from the kinds each capability declares and the schedules from their
slots, hands the web app the page blueprints it serves (the admin UI), and starts the web, worker
and speech processes. The CLI and Granian's factory come through here; no package below imports
this one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sitespeak.jobs.registry import JobRegistry
from sitespeak.settings import Settings, load_settings

if TYPE_CHECKING:  # Quart and Huey are imported only by the start of the process that runs them
    from quart import Quart

    from sitespeak.jobs.context import Submitter
    from sitespeak.jobs.periodic import Periodic
    from sitespeak.jobs.schedules import Schedules
    from sitespeak.knowledge.embedders import LocalEmbedder
    from sitespeak.web.fastpath import FastPath

WEB_FACTORY = "sitespeak.assembly:app_from_env"


def job_registry(instant_answers: bool = True) -> JobRegistry:
    """Every job kind; with ``instant_answers`` (SITESPEAK_INSTANT_ANSWERS), a knowledge change
    also submits the preparation of the site's instant answers."""
    from sitespeak.crawl import jobs as crawl_jobs
    from sitespeak.hosting import jobs as hosting_jobs
    from sitespeak.instant import jobs as instant_jobs
    from sitespeak.jobs import diagnostics
    from sitespeak.knowledge import jobs as knowledge_jobs
    from sitespeak.maintenance import jobs as maintenance_jobs
    from sitespeak.releases import jobs as release_jobs
    from sitespeak.reports import jobs as report_jobs

    return JobRegistry(
        (
            *diagnostics.KINDS,
            *crawl_jobs.KINDS,
            *knowledge_jobs.KINDS,
            *maintenance_jobs.KINDS,
            *report_jobs.KINDS,
            *instant_jobs.KINDS,
            *hosting_jobs.KINDS,
            *release_jobs.KINDS,
        ),
        reactions=instant_jobs.REACTIONS if instant_answers else (),
    )


def schedules(registry: JobRegistry) -> Schedules:
    """The kinds each capability runs once per day, week or hour."""
    from sitespeak.hosting import jobs as hosting_jobs
    from sitespeak.jobs.schedules import Schedules
    from sitespeak.maintenance import jobs as maintenance_jobs
    from sitespeak.reports import jobs as report_jobs

    return Schedules(
        (*maintenance_jobs.SCHEDULE, *report_jobs.SCHEDULE, *hosting_jobs.SCHEDULE), registry
    )


def web_app(settings: Settings) -> Quart:
    """The Quart app of the web process: the API, the widget and voice routes, the admin UI."""
    from sitespeak.admin import blueprints
    from sitespeak.web.app import create_app

    return create_app(settings, job_registry(settings.instant_answers), pages=blueprints())


def http_app_from_env() -> FastPath:
    """Granian's factory: each worker process builds its Settings from the environment."""
    from sitespeak.web.fastpath import FastPath

    return FastPath(web_app(load_settings()))


def app_from_env() -> object:
    """Granian's factory: hosted sites (by Host) outermost, so nothing of the app answers on a
    hosted site's host; then Socket.IO (/socket.io/), then everything else (the /health/live
    fast path, then Quart); in front of all, with ``trusted_proxies`` set, Granian's
    X-Forwarded-For handling (believed only from those proxies), so every part of the app sees
    the visitor's address, not the proxy's."""
    from sitespeak.web import socketio_bridge
    from sitespeak.web.hosted_sites import HostedSites

    settings = load_settings()
    http = http_app_from_env()
    app = HostedSites(socketio_bridge.wrap(http), settings, http.runtime.metrics)
    proxies = settings.trusted_proxy_list
    if not proxies:
        return app
    from granian.utils.proxies import wrap_asgi_with_proxy_headers

    return wrap_asgi_with_proxy_headers(app, proxies)


def run_web(settings: Settings) -> int:
    from sitespeak.web.serve import run_web

    return run_web(settings, WEB_FACTORY)


def run_worker(settings: Settings) -> int:
    from sitespeak.analytics import lane
    from sitespeak.jobs import ingest
    from sitespeak.worker.main import run_worker

    ingest.bind(ingest.Handlers(store=lane.store_batch, rollup=lane.rollup_pass))
    registry = job_registry(settings.instant_answers)
    return run_worker(settings, registry, periodics=periodics(registry, settings.instant_answers))


def periodics(registry: JobRegistry, instant_answers: bool = True) -> tuple[Periodic, ...]:
    """The schedules, as Huey periodic tasks: each pass submits ledger jobs keyed by its slot."""
    from huey import crontab

    from sitespeak.instant.jobs import DailyPreparation
    from sitespeak.jobs.periodic import Periodic
    from sitespeak.jobs.schedules import SchedulePass

    every_minute = crontab()
    passes = (
        Periodic("recrawl", every_minute, _recrawl_schedule),
        Periodic("schedules", every_minute, SchedulePass(schedules(registry))),
    )
    if not instant_answers:
        return passes
    return (*passes, Periodic("instant", every_minute, DailyPreparation()))


def run_speech(settings: Settings) -> int:
    """The speech process needs no job registry, database or Redis: its models and a socket.
    It embeds the web processes' questions with the knowledge base's local embedder."""
    from sitespeak.speech.server import run_speech

    return run_speech(settings, _query_embedder)


def _query_embedder(settings: Settings) -> LocalEmbedder | None:
    if settings.embedder != "local":
        return None  # an embeddings API: the web processes call it themselves
    from sitespeak.knowledge.embedders import LocalEmbedder

    return LocalEmbedder(threads=settings.embed_threads)


def _recrawl_schedule(jobs: Submitter) -> object:
    # Imported on the first pass, not at start-up: the crawl is heavy (lxml, numpy, httpx) and
    # must not delay the worker's signal handlers.
    from sitespeak.crawl import refresh

    return refresh.schedule_due(jobs)
