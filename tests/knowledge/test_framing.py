"""Whether the crawl may show a page in a frame, read from its response headers."""

from __future__ import annotations

import pytest

from sitespeak.crawl.framing import frame_policy


@pytest.mark.parametrize(
    ("headers", "policy"),
    [
        ({"content-type": "text/html"}, "any"),
        ({"x-frame-options": "DENY"}, "none"),
        ({"x-frame-options": "sameorigin"}, "none"),
        ({"content-security-policy": "default-src 'self'; frame-ancestors *"}, "any"),
        ({"content-security-policy": "frame-ancestors 'self' https://partner.example"}, "none"),
        ({"content-security-policy": "frame-ancestors 'none'"}, "none"),
        # frame-ancestors wins over X-Frame-Options in browsers that know both.
        ({"content-security-policy": "frame-ancestors *", "x-frame-options": "DENY"}, "any"),
        # Two policies: both must allow it.
        ({"content-security-policy": "frame-ancestors *, frame-ancestors 'self'"}, "none"),
        ({"content-security-policy": "script-src 'self'"}, "any"),
        ({}, None),  # no headers to judge by: a 304, or a page built from uploaded files
    ],
)
def test_a_pages_headers_say_whether_any_site_may_frame_it(headers, policy) -> None:
    assert frame_policy(headers) == policy
