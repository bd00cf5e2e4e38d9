"""Reading request bodies into pydantic models, with precise errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TypeVar

from pydantic import BaseModel
from quart import request

from sitespeak.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


async def body_as(model: type[M]) -> M:
    raw = await request.get_data(True, False, False)  # cache, bytes, no form parsing
    if not raw:
        raise InvalidInput("the request needs a JSON body")
    if request.mimetype != "application/json":
        raise InvalidInput(
            f"send JSON with Content-Type: application/json (got {request.mimetype or 'none'})"
        )
    _refuse_unstorable(raw)
    return model.model_validate_json(raw)


def _refuse_unstorable(raw: bytes) -> None:
    """PostgreSQL stores no NUL character and UTF-8 no lone surrogate: refuse them here, with
    the field named, rather than fail when the row is written."""
    try:
        data = json.loads(raw)
    except ValueError:
        return  # pydantic reports malformed JSON with its position
    for where, text in _strings(data, "body"):
        if "\x00" in text:
            raise InvalidInput(f"{where} contains a NUL character")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput(f"{where} contains an unpaired UTF-16 surrogate") from None


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, f"{where} key")
            name = key if key.isascii() and key.isprintable() else ascii(key)
            yield from _strings(item, f"{where}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")
