"""Health, readiness and metrics of the web process."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import time
from collections.abc import Awaitable

from quart import Blueprint, Response, jsonify, request

from sitespeak import __version__
from sitespeak.errors import Forbidden
from sitespeak.jobs import ledger
from sitespeak.jobs.worker_status import worker_status
from sitespeak.web.metrics import CONTENT_TYPE
from sitespeak.web.runtime import WebRuntime, runtime

bp = Blueprint("health", __name__)
CHECK_TIMEOUT = 1.0
READY_RETRY_AFTER_S = 5


def _select_one() -> None:
    from sitespeak.db.connection import database

    database.execute_sql("SELECT 1")


async def _timed(coro: Awaitable[object]) -> dict[str, bool | float | str]:
    start = time.perf_counter()
    try:
        await asyncio.wait_for(coro, CHECK_TIMEOUT)
        ok, error = True, None
    except Exception as exc:  # noqa: BLE001 - any failure means "not ok"
        ok, error = False, f"{type(exc).__name__}: {exc}" or type(exc).__name__
    result: dict[str, bool | float | str] = {
        "ok": ok,
        "latency_ms": round((time.perf_counter() - start) * 1000, 2),
    }
    if error:
        result["error"] = error
    return result


async def check_dependencies(rt: WebRuntime) -> dict[str, dict[str, bool | float | str]]:
    postgres, redis_ = await asyncio.gather(_timed(rt.db.run(_select_one)), _timed(rt.redis.ping()))
    return {"postgres": postgres, "redis": redis_}


@bp.get("/health/live")
async def live() -> tuple[Response, int]:
    rt = runtime()
    lag_ms = rt.lifecycle.lag * 1000
    ok = lag_ms <= rt.settings.loop_lag_limit_ms
    return jsonify({"status": "ok" if ok else "lagging", "loop_lag_ms": round(lag_ms, 2)}), (
        200 if ok else 500
    )


@bp.get("/health/ready")
async def ready() -> tuple[Response, int]:
    rt = runtime()
    if rt.lifecycle.draining:
        response = jsonify({"status": "draining"})
        response.headers["Connection"] = "close"
        return response, 503
    deps = await check_dependencies(rt)
    ok = all(d["ok"] for d in deps.values())
    # Readiness is open to anyone (load balancers): it says which dependency is down, never the
    # driver's error text, which names addresses and ports; /health has that for the operator.
    public = {name: {"ok": d["ok"], "latency_ms": d["latency_ms"]} for name, d in deps.items()}
    response = jsonify({"status": "ready" if ok else "unavailable", "dependencies": public})
    if not ok:
        response.headers["Retry-After"] = str(READY_RETRY_AFTER_S)
    return response, (200 if ok else 503)


async def _queue_state(rt: WebRuntime) -> tuple[dict, dict]:
    found = await worker_status(rt.redis, rt.settings)
    if found is None:  # reported as unknown; readiness already says why
        return {}, {}
    beats: dict = {}
    for q in found:
        if q.last_seen_s is None:
            continue
        beat: dict = {"last_seen_s": q.last_seen_s}
        if q.supervision is not None:  # a worker alive but failing to supervise is not healthy
            beat["supervision"] = q.supervision
            if q.supervision_error:
                beat["supervision_error"] = q.supervision_error
        beats[q.queue] = beat
    return beats, {q.queue: q.depth for q in found if q.depth is not None}


def _for_the_operator(rt: WebRuntime) -> None:
    """/health and /metrics describe the box (versions, queues, heartbeats, errors): only for
    this machine (a loopback peer, not a request a local proxy forwarded) or the token."""
    token = rt.settings.metrics_token.get_secret_value()
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return
    try:
        loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        loopback = False
    forwarded = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    if loopback and not forwarded:
        return
    raise Forbidden(
        f"{request.path} is served to this machine only, or with SITESPEAK_METRICS_TOKEN as a "
        "Bearer token; /health/live and /health/ready are open"
    )


async def speech_state(rt: WebRuntime) -> dict:
    """The speech process's own health, asked over its socket (models, queue, batches, last
    error), or why it cannot be reached. Not part of readiness: typed answers work without it."""
    client = rt.speech
    start = time.perf_counter()
    try:
        state = await asyncio.wait_for(client.health(CHECK_TIMEOUT), CHECK_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - down, restarting or too busy: all "not ok"
        why = getattr(exc, "message", "") or f"{type(exc).__name__}: {exc}"
        return {"ok": False, "address": str(client.address), "error": why}
    latency = round((time.perf_counter() - start) * 1000, 2)
    return {"ok": True, "address": str(client.address), "latency_ms": latency, **state}


@bp.get("/health")
async def health() -> Response:
    rt = runtime()
    _for_the_operator(rt)
    deps, speech = await asyncio.gather(check_dependencies(rt), speech_state(rt))
    beats, depths = await _queue_state(rt)
    ok = (
        all(d["ok"] for d in deps.values())
        and all(b.get("supervision") != "failing" for b in beats.values())
        and speech["ok"]
    )
    return jsonify(
        {
            "status": "draining" if rt.lifecycle.draining else ("ok" if ok else "degraded"),
            "version": __version__,
            "process_type": "web",
            "uptime_s": round(time.time() - rt.lifecycle.started, 1),
            "loop_lag_ms": round(rt.lifecycle.lag * 1000, 2),
            "dependencies": deps,
            "worker_heartbeats": beats,
            "queue_depths": depths,
            "events_connected": rt.hub.connected,
            "speech": speech,
        }
    )


@bp.get("/metrics")
async def metrics() -> Response:
    rt = runtime()
    _for_the_operator(rt)
    _, depths = await _queue_state(rt)
    for name, depth in depths.items():
        rt.metrics.queue_depth.labels(name).set(depth)
    try:
        for status, count in (await rt.db.run(ledger.counts_by_status)).items():
            rt.metrics.jobs.labels(status).set(count)
    except Exception:  # noqa: BLE001 - metrics must render even with the database down
        pass
    speech_page = b""
    try:  # the speech process's histograms (wait, run, batch sizes): one scrape for the box
        speech_page = await asyncio.wait_for(rt.speech.metrics(CHECK_TIMEOUT), CHECK_TIMEOUT)
    except Exception:  # noqa: BLE001 - the web's own metrics render without it
        pass
    rt.metrics.speech_up.set(1 if speech_page else 0)
    page = rt.metrics.render() + speech_page
    return Response(page, content_type=CONTENT_TYPE)
