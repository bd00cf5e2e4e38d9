"""Prometheus metrics of one web process, in its own registry (no global default registry)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


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
        self.queue_depth = Gauge(
            "sitespeak_queue_depth", "Messages waiting per queue.", ["queue"], registry=r
        )
        self.jobs = Gauge("sitespeak_jobs", "Jobs in the ledger by status.", ["status"], registry=r)
        self.loop_lag = Gauge(
            "sitespeak_event_loop_lag_seconds",
            "Latest event-loop lag of this web process.",
            registry=r,
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
            "Open /voice-ws connections of this web process.",
            registry=r,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
