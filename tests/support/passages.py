"""A passage as the answerer reads it (url, anchor, title, heading, text, score), for tests that
hand it passages of their own instead of searching a site."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Passage:
    url: str
    anchor: str
    title: str
    heading: str
    text: str
    score: float = 1.0
