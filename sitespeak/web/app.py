"""The Quart app factory of the web process. It gets what it serves from the entry point
(``sitespeak.assembly``): the job registry and the page blueprints (the admin UI), so the web
package knows no capability it does not route itself."""

from __future__ import annotations

import functools
import gc
import time
from collections.abc import Sequence

import redis
import redis.asyncio as aioredis
from quart import Blueprint, Quart, Response, g, request
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from sitespeak.accounts.lockout import LoginGuard
from sitespeak.accounts.sessions import SessionStore
from sitespeak.db.connection import open_database
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import queues
from sitespeak.jobs.registry import JobRegistry
from sitespeak.jobs.tasks import JobQueue
from sitespeak.providers import redact
from sitespeak.providers.session import Clients
from sitespeak.settings import Settings
from sitespeak.speech.client import SpeechClient
from sitespeak.web import (
    analytics_ingest,
    api_actions,
    api_conversations,
    api_events,
    api_hosting,
    api_jobs,
    api_releases,
    api_sites,
    health,
    knowledge_setup,
    openapi,
    problems,
    security,
    uploads,
    voice_ws,
    widget_routes,
)
from sitespeak.web.dbpool import DbExecutor
from sitespeak.web.events_hub import EventHub
from sitespeak.web.lifecycle import Lifecycle
from sitespeak.web.metrics import WebMetrics
from sitespeak.web.runtime import WebRuntime
from sitespeak.web.site_keys import SiteKeys

MAX_BODY = 1024 * 1024


def create_app(settings: Settings, registry: JobRegistry, pages: Sequence[Blueprint] = ()) -> Quart:
    app = Quart("sitespeak")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    queues.bind(settings)
    # A pooled connection that died with a Redis restart is retried once on a new one, so the
    # first command after Redis returns does not fail (a voice session would lose its turn).
    async_redis = aioredis.Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=10,
        retry=AsyncRetry(NoBackoff(), 1),
    )
    sync_redis = redis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=2, socket_timeout=5, retry=Retry(NoBackoff(), 1)
    )
    db = DbExecutor(
        open_database(settings.database_url, settings.db_pool_size), settings.db_threads
    )
    publisher = EventPublisher(sync_redis, settings.redis_prefix)
    hub = EventHub(async_redis, settings.redis_prefix)
    site_keys = SiteKeys(functools.partial(db.run, voice_ws.site_of_key))
    hub.add_listener(site_keys.on_event)
    hub.on_resync(site_keys.resync)
    metrics = WebMetrics()
    speech = SpeechClient(settings)  # one connection: voice sessions and query vectors
    knowledge = knowledge_setup.knowledge_cache(settings, db, hub, speech)
    rt = WebRuntime(
        settings=settings,
        db=db,
        redis=async_redis,
        sync_redis=sync_redis,
        publisher=publisher,
        jobs=JobQueue(registry, publisher),
        hub=hub,
        metrics=metrics,
        lifecycle=Lifecycle(settings.shutdown_grace, settings.drain_delay),
        sessions=SessionStore(
            async_redis,
            settings.redis_prefix,
            settings.session_idle_timeout,
            settings.session_max_age,
        ),
        login_guard=LoginGuard(async_redis, settings),
        knowledge=knowledge,
        providers=Clients(settings),
        speech=speech,
        voice=voice_ws.voice_services(settings, speech, db, async_redis, metrics, knowledge),
        site_keys=site_keys,
    )
    app.extensions["sitespeak"] = rt
    problems.install(app)
    openapi.install(app, settings)  # before the blueprints: it adds their <id:...> converter
    security.install(app, settings)
    uploads.install(app, settings)
    for bp in (
        health.bp,
        api_jobs.bp,
        api_events.bp,
        voice_ws.bp,
        api_conversations.bp,
        openapi.bp,
        api_sites.bp,
        api_hosting.bp,
        api_actions.bp,
        api_releases.bp,
        widget_routes.bp,
        analytics_ingest.bp,
        *pages,
    ):
        app.register_blueprint(bp)
    _instrument(app, rt)

    @app.before_serving
    async def _start() -> None:
        redact.install(settings)  # logging is configured by now: keep provider keys out of it
        rt.hub.start()
        rt.lifecycle.install(_record_lag(rt))
        # The ~110k objects built at start-up live as long as the process; left in the collector's
        # view, each full collection walks them all (52 ms at start, measured), a pause for every
        # voice session on this event loop. Frozen, a full collection walks only what came later.
        gc.freeze()

    @app.after_serving
    async def _stop() -> None:
        await rt.lifecycle.close()
        await rt.hub.stop()
        await rt.providers.close()
        await async_redis.aclose()
        rt.db.close()
        rt.metrics.close()

    return app


def _record_lag(rt: WebRuntime):
    def record(lag: float) -> None:
        rt.metrics.loop_lag.set(lag)
        rt.metrics.loop_lag_hist.observe(lag)

    return record


def _instrument(app: Quart, rt: WebRuntime) -> None:
    @app.before_request
    async def _begin() -> None:
        g.started = time.perf_counter()

    @app.after_request
    async def _end(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        rt.metrics.requests.labels(request.method, route, str(response.status_code)).inc()
        rt.metrics.latency.labels(request.method, route).observe(elapsed)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if rt.lifecycle.draining:
            response.headers["Connection"] = "close"
        return response
