"""Keeps the provider key out of every log line of this process, whatever logs it: a filter on
each root handler replaces the key, and the websockets client (which dumps its handshake headers,
Authorization included, at debug level) is held at INFO."""

from __future__ import annotations

import logging

from sitespeak.settings import Settings

REDACTED = "[redacted]"


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, REDACTED)
            record.msg, record.args = message, None
        return True


def install(settings: Settings) -> None:
    secrets = [
        settings.openai_api_key.get_secret_value(),
        settings.embed_openai_api_key.get_secret_value(),
    ]
    logging.getLogger("websockets.client").setLevel(logging.INFO)
    redact = RedactSecrets(secrets)
    if not redact.secrets:
        return
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(redact)
