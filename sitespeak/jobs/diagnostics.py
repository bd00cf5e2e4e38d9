"""Diagnostic job kinds that exercise the whole queue path: echo, sleep and fail. They run on
every queue, and a tenant may submit them (they touch nothing of anyone's)."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, Field

from sitespeak.jobs.context import JobContext
from sitespeak.jobs.registry import JobKind, RetryPolicy
from sitespeak.settings import QUEUES


class EchoArgs(BaseModel, extra="forbid"):
    message: str = Field("", max_length=10_000)


class SleepArgs(BaseModel, extra="forbid"):
    seconds: float = Field(1.0, ge=0, le=30)  # a diagnostic: it must not clog a queue


class FailArgs(BaseModel, extra="forbid"):
    message: str = Field("failed on purpose", max_length=1000)


def echo(ctx: JobContext, args: EchoArgs) -> dict[str, Any]:
    return {"message": args.message, "queue": ctx.queue}


def sleep(ctx: JobContext, args: SleepArgs) -> dict[str, Any]:
    deadline = time.monotonic() + args.seconds
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 0.2))
    return {"slept": args.seconds}


def fail(ctx: JobContext, args: FailArgs) -> dict[str, Any]:
    raise RuntimeError(args.message)


KINDS = (
    JobKind("echo", echo, EchoArgs, QUEUES, public=True),
    JobKind("sleep", sleep, SleepArgs, QUEUES, public=True),
    JobKind("fail", fail, FailArgs, QUEUES, RetryPolicy(backoff_base=0.5), public=True),
)
