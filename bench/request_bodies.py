"""Request-body parsing benchmark: the API's bodies read in one pass (pydantic parses, the shared
``RequestBody`` validator refuses text PostgreSQL cannot store) against the two passes it
replaced (``json.loads`` to look for that text, then pydantic parsing again; the same check of
the strings, so the difference is the second parse), in one process, rounds interleaved so
background load hits both alike. Goal: one pass faster, every body.

Bodies: a site as the admin UI creates it (small), and a job with 2,000 string arguments (~60 KB,
near the largest body a client sends). Prints µs per body (median and p95 of the rounds), the
ratio, and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, create_model

from sitespeak.web.api_jobs import JobRequest
from sitespeak.web.api_sites import SiteCreate
from sitespeak.web.requests import RequestBody, _refuse_unstorable

BODIES: dict[str, tuple[type[RequestBody], bytes]] = {
    "site (small)": (
        SiteCreate,
        json.dumps(
            {
                "name": "Rosie's Bakery",
                "start_urls": ["https://bakery.example/"],
                "scope": {"include": ["/menu", "/hours"], "exclude": ["/private/"]},
                "allowed_origins": ["https://bakery.example"],
                "schedule": "daily",
            }
        ).encode(),
    ),
    "job (2,000 args)": (
        JobRequest,
        json.dumps(
            {"name": "echo", "args": {f"k{i}": f"value number {i} é" for i in range(2000)}}
        ).encode(),
    ),
}


def without_validator(model: type[RequestBody]) -> type[BaseModel]:
    """The same fields on a plain BaseModel: what the two-pass reader validated."""
    fields: dict = {name: (f.annotation, f) for name, f in model.model_fields.items()}
    plain: type[BaseModel] = create_model(
        f"Plain{model.__name__}",
        __config__=model.model_config,
        **fields,
    )
    return plain


def one_pass(model: type[BaseModel]) -> Callable[[bytes], object]:
    return model.model_validate_json


def two_passes(model: type[BaseModel]) -> Callable[[bytes], object]:
    def read(raw: bytes) -> object:
        _refuse_unstorable(json.loads(raw))
        return model.model_validate_json(raw)

    return read


def per_body_us(read: Callable[[bytes], object], raw: bytes, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        read(raw)
    return (time.perf_counter() - start) / calls * 1e6


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--budget-ms", type=float, default=100.0, help="per variant per round")
    args = parser.parse_args()
    print(f"loadavg before: {loadavg()}")
    for label, (model, raw) in BODIES.items():
        new, old = one_pass(model), two_passes(without_validator(model))
        assert new(raw) is not None and old(raw) is not None
        calls = max(1, int(args.budget_ms * 1000 / per_body_us(old, raw, 20)))
        ones, twos = [], []
        for index in range(args.rounds):
            order = ((ones, new), (twos, old)) if index % 2 == 0 else ((twos, old), (ones, new))
            for found, read in order:
                found.append(per_body_us(read, raw, calls))
        one_med, two_med = statistics.median(ones), statistics.median(twos)
        print(
            f"{label} ({len(raw)} bytes, {calls} calls x {args.rounds} rounds): "
            f"one pass {one_med:.1f} µs (p95 {p95(ones):.1f}), "
            f"two passes {two_med:.1f} µs (p95 {p95(twos):.1f}), "
            f"one/two {one_med / two_med:.2f}"
        )
    print(f"loadavg after: {loadavg()}")


if __name__ == "__main__":
    main()
