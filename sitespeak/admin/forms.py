"""Admin form fields into pydantic models: multi-line lists, checkboxes, numbers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, HttpUrl
from werkzeug.datastructures import MultiDict


def lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class SiteForm(BaseModel, extra="forbid"):
    name: str = Field("", max_length=200)  # empty: the start page's title (or kept, on edit)
    start_urls: list[HttpUrl] = Field(..., min_length=1, max_length=20)
    allowed_origins: list[HttpUrl] = Field(default_factory=list, max_length=50)
    schedule: Literal["never", "hourly", "daily", "weekly"] = "never"
    allow_private: bool = False
    allowed_hosts: list[str] = Field(default_factory=list, max_length=50)
    include: list[str] = Field(default_factory=list, max_length=100)
    exclude: list[str] = Field(default_factory=list, max_length=100)
    max_depth: int = Field(10, ge=0, le=100)
    max_pages: int = Field(1000, ge=1, le=200_000)

    @classmethod
    def from_form(cls, form: MultiDict) -> SiteForm:
        raw: dict[str, Any] = {
            "name": (form.get("name") or "").strip(),
            "start_urls": lines(form.get("start_urls")),
            "allowed_origins": lines(form.get("allowed_origins")),
            "schedule": form.get("schedule") or "never",
            "allow_private": form.get("allow_private") == "on",
            "allowed_hosts": lines(form.get("allowed_hosts")),
            "include": lines(form.get("include")),
            "exclude": lines(form.get("exclude")),
            "max_depth": form.get("max_depth") or 10,
            "max_pages": form.get("max_pages") or 1000,
        }
        return cls.model_validate(raw)

    def scope(self) -> dict[str, Any]:
        return {
            "allowed_hosts": self.allowed_hosts,
            "include": self.include,
            "exclude": self.exclude,
            "max_depth": self.max_depth,
            "max_pages": self.max_pages,
        }
