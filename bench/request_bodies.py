"""Request-body parsing benchmark: the API's bodies as served (quart-schema's validate_request:
Python's json parser, then pydantic validates the objects, the shared ``RequestBody`` validator
refusing text PostgreSQL cannot store), against pydantic parsing the bytes itself in one pass
(what ``body_as`` did before quart-schema) and the two passes that replaced (``json.loads`` to
look for that text, then pydantic parsing again), in one process, rounds interleaved so
background load hits them alike.

Bodies: a site as the admin UI creates it (small), and a job with 2,000 string arguments (~60 KB,
near the largest body a client sends). Prints µs per body (median and p95 of the rounds), each
against the served one, and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, create_model
from quart_schema.conversion import model_load

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


def served(model: type[BaseModel]) -> Callable[[bytes], object]:
    def read(raw: bytes) -> object:
        return model_load(json.loads(raw), model, ValueError)

    return read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--budget-ms", type=float, default=100.0, help="per variant per round")
    args = parser.parse_args()
    print(f"loadavg before: {loadavg()}")
    for label, (model, raw) in BODIES.items():
        variants = {
            "served (quart-schema)": served(model),
            "one pass": one_pass(model),
            "two passes": two_passes(without_validator(model)),
        }
        assert all(read(raw) is not None for read in variants.values())
        calls = max(1, int(args.budget_ms * 1000 / per_body_us(variants["two passes"], raw, 20)))
        found: dict[str, list[float]] = {name: [] for name in variants}
        for index in range(args.rounds):
            names = list(variants)[index % 3 :] + list(variants)[: index % 3]
            for name in names:
                found[name].append(per_body_us(variants[name], raw, calls))
        base = statistics.median(found["served (quart-schema)"])
        print(f"{label} ({len(raw)} bytes, {calls} calls x {args.rounds} rounds):")
        for name, values in found.items():
            med = statistics.median(values)
            print(f"  {name}: {med:.1f} µs (p95 {p95(values):.1f}), x{med / base:.2f} of served")
    print(f"loadavg after: {loadavg()}")


if __name__ == "__main__":
    main()
