"""Printing command results: a readable line for people, JSON with --json."""

from __future__ import annotations

import json
from typing import Any


def emit(args: Any, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, default=str))
    else:
        print(text)


def add_json_flag(parser: Any) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")
