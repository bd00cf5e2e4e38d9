"""Reading request bodies into pydantic models, with precise errors."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel
from quart import request

from sitespeak.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


async def body_as(model: type[M]) -> M:
    raw = await request.get_data()
    if not raw:
        raise InvalidInput("the request needs a JSON body")
    if request.mimetype != "application/json":
        raise InvalidInput(
            f"send JSON with Content-Type: application/json (got {request.mimetype or 'none'})"
        )
    return model.model_validate_json(raw)
