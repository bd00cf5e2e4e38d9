"""May another site show this page in a frame? Read from the page's own response headers
(X-Frame-Options, and Content-Security-Policy's frame-ancestors, which browsers obey first)."""

from __future__ import annotations


def frame_policy(headers: dict[str, str]) -> str | None:
    """``"any"`` when every origin may frame the page, ``"none"`` when the headers restrict
    framing (to nobody, to the site itself or to a list: the admin's origin is not one a site
    names), None when there are no headers to judge by (a 304, a page from uploaded files)."""
    if not headers:
        return None
    ancestors = _frame_ancestors(headers.get("content-security-policy", ""))
    if ancestors is not None:
        return "any" if "*" in ancestors else "none"
    options = headers.get("x-frame-options", "").strip().lower()
    return "none" if options else "any"


def _frame_ancestors(policy: str) -> list[str] | None:
    # Several policies may arrive joined by commas; every one of them must allow the frame.
    found: list[str] | None = None
    for one in policy.split(","):
        for directive in one.split(";"):
            name, _, value = directive.strip().partition(" ")
            if name.lower() == "frame-ancestors":
                sources = value.split()
                found = sources if found is None else [s for s in found if s in sources]
    return found
