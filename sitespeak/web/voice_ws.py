"""``/voice-ws``: the thin WebSocket shell around ``sitespeak.voice.live``.

It checks the publishable key and the Origin, finds or resumes the session state, then hands
the socket to a LiveSession. Close codes: 4400 protocol, 4001 unknown key, 4003 origin not
allowed, 4415 unsupported audio format, 4408 idle, 1013 draining, 1012 restarting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from pydantic import BaseModel
from quart import Blueprint, websocket

from sitespeak.actions import vetting
from sitespeak.errors import InvalidInput
from sitespeak.hosting import layout
from sitespeak.instant.matching import PreparedRetrieval
from sitespeak.instant.prepared_set import load_set
from sitespeak.jobs import ingest
from sitespeak.knowledge.cache import KnowledgeCache
from sitespeak.releases import serving
from sitespeak.settings import Settings
from sitespeak.sites import allowed_origins, site_by_key
from sitespeak.sites.voice_options import ack_sound
from sitespeak.voice import conversations
from sitespeak.voice import protocol as p
from sitespeak.voice.answer import Answer
from sitespeak.voice.limits import TurnLimiter
from sitespeak.voice.live import Closed, LiveSession, Services, Wire, ending_for
from sitespeak.voice.session import SessionState, SessionStore
from sitespeak.voice.speech_api import SpeechEngine
from sitespeak.voice.turn import TurnResult
from sitespeak.web import providers_setup
from sitespeak.web.dbpool import DbExecutor
from sitespeak.web.metrics import WebMetrics
from sitespeak.web.runtime import WebRuntime, runtime

bp = Blueprint("voice_ws", __name__)
log = logging.getLogger(__name__)


@dataclass
class SiteRef:
    id: int
    tenant_id: int
    origins: list[str]
    options: dict = field(default_factory=dict)  # options.providers picks its providers
    name: str = ""


def site_of_key(key: str) -> SiteRef | None:
    site = site_by_key(key)
    return (
        SiteRef(
            site.id,
            site.tenant_id,
            allowed_origins(site),
            serving.serving_options(site),  # the voice options of its live release
            site.name,
        )
        if site
        else None
    )


def _record_turn(session_id: str, tenant_id: int, site_id: int, row: dict) -> None:
    conversations.record_turn(session_id, tenant_id, site_id, row)
    try:
        ingest.request_rollup()  # the analytics rollups include turns within seconds
    except Exception:  # noqa: BLE001 - the periodic pass picks the turn up anyway
        log.warning("could not ask for an analytics rollup", exc_info=True)


def site_origin_allowed(origin: str, allowed: list[str]) -> bool:
    return bool(origin) and origin.strip().rstrip("/").lower() in {
        o.rstrip("/").lower() for o in allowed
    }


def hosted_origin(state_dir: Path, origin: str, site_id: int) -> bool:
    """A page this box hosts for the site (its origin's host name is linked to the site) may use
    the widget, whatever its scheme and port: a proxy may terminate TLS in front of the box, and
    nothing but the site's own files is served on that name."""
    try:
        host = urlsplit(origin.strip()).hostname
    except ValueError:
        return False
    return bool(host) and layout.site_of_host(state_dir, host or "") == site_id


def origin_allowed(settings: Settings, site: SiteRef, origin: str, also: list[str]) -> bool:
    """The site's allowed origins, ``also`` (this box's own origin), or a page it hosts."""
    return site_origin_allowed(origin, [*site.origins, *also]) or hosted_origin(
        settings.state_dir, origin, site.id
    )


def voice_services(
    settings: Settings,
    speech: SpeechEngine,
    db: DbExecutor,
    redis: aioredis.Redis,
    metrics: WebMetrics,
    knowledge: KnowledgeCache,
) -> Services:
    """Built once per web process. ``speech`` is the speech process's client (the one
    connection, shared with the knowledge cache's query embedding): no model is loaded here."""
    background: set[asyncio.Task] = set()

    async def on_turn(state: SessionState, result: TurnResult) -> None:
        for name, ms in result.timings.items():
            if name.endswith("_ms"):  # the rest are flags (speculative, admission_level)
                metrics.voice_stage.labels(name.removesuffix("_ms")).observe(ms / 1000)
        row = result.row(_provider(services.engine))
        task = asyncio.ensure_future(
            db.run(_record_turn, state.session_id, state.tenant_id, state.site_id, row)
        )
        background.add(task)
        task.add_done_callback(_recorded(background))

    async def version(site_id: int) -> int:
        return (await knowledge.index(site_id)).version

    async def prepared(site_id: int, version: int) -> dict[str, list[Any]]:
        return dict(await db.run(load_set, site_id, version))

    async def vet(site_id: int, question: str, reply: Answer) -> Answer:
        if not vetting.needs_catalog(question, reply):
            return reply  # the same whatever the live catalog: not read
        return await db.run(serving.vet, site_id, question, reply)

    # A question the site's answers were prepared for takes the prepared passages (no search):
    # the answer composed from them is the prepared one, whose audio the speech process holds.
    retrieve = PreparedRetrieval(
        knowledge.search, version, prepared, settings.knowledge_check_every
    )
    services = Services(
        settings,
        speech,
        retrieve,
        SessionStore(redis, settings.redis_prefix, settings.voice_session_ttl),
        TurnLimiter(redis, settings),
        on_turn,
        vet,
        meaning=knowledge.similarity,
    )
    return services


def _recorded(background: set[asyncio.Task]) -> Callable[[asyncio.Task], None]:
    """The callback of a turn's bookkeeping task: let it go, and say so when it failed (the
    database being down loses the stored turn, not the visitor's answer)."""

    def done(task: asyncio.Task) -> None:
        background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("turn not recorded: %s", task.exception())

    return done


def _provider(engine: SpeechEngine) -> dict[str, str]:
    return {"stt": engine.stt_name, "tts": engine.tts_name, "answer": "extractive"}


@bp.before_app_serving
async def _preload() -> None:
    rt = runtime()
    services = rt.voice
    if rt.settings.voice_preload:
        task = asyncio.ensure_future(services.engine.ready())
        task.add_done_callback(_not_ready_yet)


def _not_ready_yet(task: asyncio.Task[SpeechEngine]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("speech not ready yet: %s", task.exception())


@bp.after_app_serving
async def _unload() -> None:
    await runtime().voice.addresses.settle()
    runtime().voice.engine.close()


async def _send(message: BaseModel) -> None:
    await websocket.send(p.encode(message))


async def _start_message() -> p.SessionStart:
    try:
        raw = await asyncio.wait_for(websocket.receive(), runtime().settings.voice_start_timeout)
    except TimeoutError:
        raise Closed(4400, "send session.start first") from None
    if isinstance(raw, bytes):
        raise Closed(4400, "the first message must be a session.start JSON text frame")
    if len(raw) > p.MAX_START_BYTES:
        raise Closed(1009, f"session.start may be at most {p.MAX_START_BYTES} bytes")
    try:
        message = p.parse_client(raw)
    except InvalidInput as exc:
        await _send(p.ErrorEvent(code=exc.code, message=exc.message, fatal=True))
        raise Closed(4400, exc.message[:120]) from None
    if not isinstance(message, p.SessionStart):
        raise Closed(4400, f"the first message must be session.start, not {message.type}")
    return message


async def _open(rt: WebRuntime, services: Services) -> LiveSession:
    start = await _start_message()
    wire = Wire(websocket.receive, websocket.send, websocket.send)
    return await admit(
        rt,
        services,
        start,
        websocket.headers.get("Origin", ""),
        websocket.remote_addr or "",
        wire,
        own_origin=_own_origin(),
    )


def _own_origin() -> str:
    """This box's own origin: its pages (the owner's try-it page) may always use the widget."""
    scheme = "https" if websocket.scheme in ("wss", "https") else "http"
    return f"{scheme}://{websocket.host}"


async def admit(
    rt: WebRuntime,
    services: Services,
    start: p.SessionStart,
    origin: str,
    ip: str,
    wire: Wire,
    own_origin: str = "",
) -> LiveSession:
    """Key, origin, formats and resume: the same rules for every transport (also Socket.IO)."""
    site = await rt.db.run(site_of_key, start.site_key)
    if site is None:
        raise Closed(4001, "unknown site key")
    if not origin_allowed(rt.settings, site, origin, [own_origin] if own_origin else []):
        raise Closed(4003, f"origin {origin or '(none)'} is not allowed for this site")
    for fmt, rates, what in (
        (start.input_format, p.INPUT_RATES, "input_format"),
        (start.output_format, p.OUTPUT_RATES, "output_format"),
    ):
        problem = p.format_problem(fmt, rates, what)
        if problem:
            await wire.send_text(
                p.encode(p.ErrorEvent(code="unsupported_audio_format", message=problem, fatal=True))
            )
            raise Closed(4415, problem[:120])
    state = await services.store.resume(start.resume_id, site.id) if start.resume_id else None
    resumed = state is not None
    state = state or services.store.new(site.tenant_id, site.id)
    providers = await providers_setup.session_providers(rt, services, site)
    await rt.db.run(
        conversations.open_session,
        state.session_id,
        site.tenant_id,
        site.id,
        start.page_url,
        start.locale,
        ip,
        providers.record(),
    )
    await services.store.save(state)
    return providers_setup.live_session(
        services, wire, state, resumed, start, ip, providers, ack_sound(site.options)
    )


@bp.websocket("/voice-ws")
async def voice_ws() -> None:
    rt = runtime()
    services = rt.voice
    address = websocket.remote_addr or ""
    # The slot is taken before the handshake completes, so an address's sessions are counted in
    # the order its visitors see their connections open: once accepted, the first two of three
    # never lose their slot to the third, however late their handler runs on a busy box.
    ticket = await services.addresses.take(address)
    await websocket.accept()
    if rt.lifecycle.draining:
        if ticket is not None:
            services.addresses.give_back(ticket)
        await websocket.close(1013, "server draining; reconnect to another replica")
        return
    if ticket is None:
        await websocket.close(4429, services.addresses.refusal(address))
        return
    live: LiveSession | None = None
    unregister = None
    rt.metrics.voice_sessions.inc()
    try:
        live = await _open(rt, services)
        unregister = rt.lifecycle.on_drain(live.close_for_drain)
        await live.run()
    except Closed as closed:
        await websocket.close(closed.code, closed.reason)
    except Exception as exc:  # noqa: BLE001 - the visitor is told why, then the socket closes
        event, ending = ending_for(exc)
        log.warning("voice session ended by %s: %s", type(exc).__name__, exc, exc_info=True)
        try:
            await _send(event)
        except Exception:  # noqa: BLE001 - the socket may be gone already
            pass
        await websocket.close(ending.code, ending.reason)
    finally:
        services.addresses.give_back(ticket)
        rt.metrics.voice_sessions.dec()
        if unregister:
            unregister()
        if live is not None:
            _in_background(rt.db.run(conversations.close_session, live.state.session_id))


def _in_background(coro) -> None:
    """Bookkeeping that must not hold up (or fail) the socket: log, never raise."""

    def logged(task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.warning("voice bookkeeping failed: %s", task.exception())

    asyncio.ensure_future(coro).add_done_callback(logged)
