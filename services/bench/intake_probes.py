"""`python services/bench/intake_probes.py`: the intake worker with timing probes, for
`CORRIDOR_BENCH_INTAKE_PROBES=<file> python -m services.bench.intake_alone`. It records the
start and end (wall clock) of every screen, gate step, sequencer batch, region-event send and
broker fetch request, and writes them as JSON to <file> when the worker stops. A diagnosis
tool (it wraps faust's and aiokafka's internals): the 1.5 s fetch stalls in
docs/architecture.md "Throughput" were found with it."""

from __future__ import annotations

import atexit
import functools
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import orjson
from aiokafka.consumer import fetcher

Span = tuple[str, float, float]
SPANS: list[Span] = []


def _timed_async(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.time()
        try:
            return await function(*args, **kwargs)
        finally:
            SPANS.append((name, start, time.time()))

    return timed


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.time()
        try:
            return function(*args, **kwargs)
        finally:
            SPANS.append((name, start, time.time()))

    return timed


def run(out: str) -> None:
    fetcher.Fetcher._proc_fetch_request = _timed_async("fetch", fetcher.Fetcher._proc_fetch_request)
    from services.intake import agents
    from services.streams import main

    for name in ("more_coming", "finish", "append"):
        setattr(agents, name, _timed_async(name, getattr(agents, name)))
    for name in ("take", "screen", "admit_or_refuse", "refuse"):
        setattr(agents, name, _timed(name, getattr(agents, name)))

    def write() -> None:
        with open(out, "wb") as f:
            f.write(orjson.dumps(SPANS))

    atexit.register(write)
    sys.argv = [sys.argv[0], "worker", "-l", "warn"]
    main(agents.app)


if __name__ == "__main__":
    run(os.environ["CORRIDOR_BENCH_INTAKE_PROBES"])
