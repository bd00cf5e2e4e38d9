"""Request bodies: what quart-schema validates them into, and how they are read."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any

from pydantic import BaseModel, model_validator
from quart import Request

from sitespeak.errors import InvalidInput, Unprocessable


class RequestBody(BaseModel):
    """The base of every API request body: text PostgreSQL cannot store is refused, with the
    field named, in the same pass that parses the body, not when the row is written."""

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        _refuse_unstorable(data)
        return data


class JsonRequest(Request):
    """Quart's request, refusing precisely what quart-schema's ``validate_request`` reads: no
    body, another Content-Type (Quart would give it None) and malformed JSON, with where it
    breaks. Python's parser reads a lone surrogate escape, so ``RequestBody`` names its field."""

    async def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if not (force or silent):
            if not await self.get_data(cache=True):
                raise InvalidInput("the request needs a JSON body")
            if not self.is_json:
                raise InvalidInput(
                    f"send JSON with Content-Type: application/json (got {self.mimetype or 'none'})"
                )
        return await super().get_json(force, silent, cache)

    def on_json_loading_failed(self, error: Exception) -> Any:
        raise Unprocessable(f"Invalid JSON: {error}")


def _refuse_unstorable(data: Any) -> None:
    """PostgreSQL stores no NUL character and UTF-8 no lone surrogate."""
    found = _unstorable(data)
    if found is not None:
        path, why = found
        raise InvalidInput(f"{_where(path)} contains {why}")


class _Key(Enum):
    """A step of a path: the dict key itself, not its value."""

    KEY = "key"


Step = str | int | _Key


def _unstorable(value: Any) -> tuple[list[Step], str] | None:
    """(the path to the first string that cannot be stored, innermost step first; why), or None.
    Every string of every body goes through here: the path is only built for a refusal."""
    if isinstance(value, str):
        why = _why(value)
        return None if why is None else ([], why)
    for step, item in _members(value):
        if isinstance(step, str) and (why := _why(step)) is not None:
            return [_Key.KEY], why
        found = _unstorable(item)
        if found is not None:
            found[0].append(step)
            return found
    return None


def _members(value: Any) -> Iterable[tuple[str | int, Any]]:
    if isinstance(value, dict):
        return value.items()
    if isinstance(value, list):
        return enumerate(value)
    return ()


def _why(text: str) -> str | None:
    if "\x00" in text:
        return "a NUL character"
    if not text.isascii():  # ASCII text encodes: skip the copy
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "an unpaired UTF-16 surrogate"
    return None


def _where(path: list[Step]) -> str:
    where = "body"
    for step in reversed(path):
        if step is _Key.KEY:
            where += " key"
        elif isinstance(step, int):
            where += f"[{step}]"
        else:
            name = str(step)
            where += "." + (name if name.isascii() and name.isprintable() else ascii(name))
    return where
