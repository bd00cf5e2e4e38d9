"""Prometheus metrics of the speech process, in its own registry. The process has no HTTP
server: a web process's /metrics asks for this page over the speech socket and appends it."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from sitespeak.speech.scheduler import Observer

SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10)


class SpeechMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.wait = Histogram(
            "sitespeak_speech_wait_seconds",
            "Time a speech job waited for a slot, by kind (stt, embed, tts).",
            ["kind"],
            registry=r,
            buckets=SECONDS,
        )
        self.run = Histogram(
            "sitespeak_speech_run_seconds",
            "Inference time of one speech job (a whole transcription batch), by kind.",
            ["kind"],
            registry=r,
            buckets=SECONDS,
        )
        self.batch = Histogram(
            "sitespeak_speech_batch_size",
            "Utterances decoded together in one transcription batch.",
            registry=r,
            buckets=(1, 2, 3, 4, 6, 8, 12, 16, 32),
        )
        self.rejected = Counter(
            "sitespeak_speech_rejected_total",
            "Speech jobs refused because the queue was full, by kind.",
            ["kind"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "sitespeak_speech_queue_depth", "Speech jobs waiting for a slot.", registry=r
        )
        self.running = Gauge("sitespeak_speech_running", "Speech jobs running.", registry=r)
        self.cache_hits = Gauge(
            "sitespeak_speech_cache_hits", "Phrases served from the synthesis cache.", registry=r
        )
        self.cache_misses = Gauge(
            "sitespeak_speech_cache_misses", "Phrases the synthesis cache had to make.", registry=r
        )
        self.rss = Gauge(
            "sitespeak_speech_rss_bytes", "Resident memory of the speech process.", registry=r
        )

    def observer(self) -> Observer:
        return Observer(
            waited=lambda kind, s: self.wait.labels(kind).observe(s),
            ran=lambda kind, s: self.run.labels(kind).observe(s),
            batched=self.batch.observe,
            rejected=lambda kind: self.rejected.labels(kind).inc(),
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
