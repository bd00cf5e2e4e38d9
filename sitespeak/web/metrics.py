"""Prometheus metrics of the web process, in its own registry (no global default registry).

With several Granian workers, each is a process with its own counters, and /metrics is answered
by whichever worker takes the request. ``serve.run_web`` then sets PROMETHEUS_MULTIPROC_DIR
before any worker starts: every worker writes its values there, and /metrics renders all of
them together (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST


class WebMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "sitespeak_http_requests_total",
            "HTTP requests by route.",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "sitespeak_http_request_seconds",
            "HTTP latency by route.",
            ["method", "route"],
            registry=r,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        # Gauges say how workers' values combine: the same reading from any worker (mostrecent),
        # one sample per live worker (liveall), or a sum over live workers (livesum).
        self.queue_depth = Gauge(
            "sitespeak_queue_depth",
            "Messages waiting per queue.",
            ["queue"],
            registry=r,
            multiprocess_mode="mostrecent",
        )
        self.jobs = Gauge(
            "sitespeak_jobs",
            "Jobs in the ledger by status.",
            ["status"],
            registry=r,
            multiprocess_mode="mostrecent",
        )
        self.loop_lag = Gauge(
            "sitespeak_event_loop_lag_seconds",
            "Latest event-loop lag of each web worker process.",
            registry=r,
            multiprocess_mode="liveall",
        )
        self.loop_lag_hist = Histogram(
            "sitespeak_event_loop_lag_sample_seconds",
            "Event-loop lag samples.",
            registry=r,
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1),
        )
        # Voice turns: one histogram, one label per recorded stage (eos_to_started, stt, ...).
        self.voice_stage = Histogram(
            "sitespeak_voice_turn_stage_seconds",
            "Voice turn timings by stage.",
            ["stage"],
            registry=r,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10),
        )
        self.voice_sessions = Gauge(
            "sitespeak_voice_sessions",
            "Open /voice-ws connections of the web process.",
            registry=r,
            multiprocess_mode="livesum",
        )

        self.speech_up = Gauge(
            "sitespeak_speech_up",
            "1 when the speech process answered this scrape (its metrics follow), else 0.",
            registry=r,
            multiprocess_mode="mostrecent",
        )

    def render(self) -> bytes:
        if os.environ.get(MULTIPROC_ENV):
            combined = CollectorRegistry()
            multiprocess.MultiProcessCollector(combined)
            return generate_latest(combined)
        return generate_latest(self.registry)

    def close(self) -> None:
        """This worker is stopping: its live gauges leave the combined view."""
        if os.environ.get(MULTIPROC_ENV):
            multiprocess.mark_process_dead(os.getpid())
