"""`corridor bench allocator`: the allocator processor against a raw consume→produce loop and
a trivial faust agent (consume → send), with faust's default settings and with Corridor's.

Both run as worker processes on the same broker in the same run and get the same input:
* throughput — a backlog of region events (shelters, vehicles, alerts, ticks of several
  regions) produced as fast as the broker takes it; households decided per second, from the
  first event sent to the last decision received;
* latency — alert + tick pairs paced at a fixed rate; from the tick handed to the producer to
  the decision received (the raw loop: from a message sent to its copy received).
Plus the pure core's decision cost per household with 10,000 shelters in one region.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from schemas.catalogue import (
    ALLOCATION_DECISIONS,
    REGION_EVENTS,
    REGION_PARTITIONS,
    topic_name,
)
from schemas.codec import encode_structured
from schemas.ingress import DisplacementAlert
from schemas.sequenced import SequencedEvent
from services.audit.replay import replay, tick
from services.bench.intake import measure_intake
from services.bench.kafka import Collector, Message, Result, produce
from services.bench.workload import START, Workload, as_ingress, by_region
from services.config import PROJECT_ROOT, Settings
from services.publish import secrets
from services.stack import topics
from services.stack.local import prepare

FAUST_FLAVOURS = ("default", "corridor")  # services/bench/faustloop.py
LOOP_BACKLOG = 8  # times the allocator's backlog that the raw loop and the faust agents copy


def _messages(events: list[SequencedEvent]) -> list[Message]:
    return [(e.region_pcode.encode(), encode_structured(e.to_cloudevent())) for e in events]


def _paced(region: str, pairs: int) -> tuple[list[SequencedEvent], list[SequencedEvent]]:
    """Shelters of one region, then `pairs` of (alert, tick): every tick seals one alert."""
    base = Workload(regions=(region,), shelters=50, vehicles=10, alerts=pairs, alerts_per_tick=1)
    events = base.region_events(region)
    setup = [
        e for e in events if "-alert-" not in e.event_id and not e.event_id.startswith("tick:")
    ]
    return setup, [e for e in events if e not in setup]


@contextmanager
def _process(argv: list[str], env: dict[str, str], log: str) -> Iterator[None]:
    """A worker process; with CORRIDOR_BENCH_PROFILE=<folder>, py-spy samples it meanwhile and
    writes `<folder>/<log name>.txt` (collapsed stacks: `py-spy record -f raw`)."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            argv, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    spy = _profiler(proc.pid, log, env.get("CORRIDOR_BENCH_PROFILE"))
    try:
        yield
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its profile on SIGINT
            spy.wait(60)
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()


def _profiler(pid: int, log: str, folder: str | None) -> subprocess.Popen[bytes] | None:
    if not folder:
        return None
    spy = shutil.which("py-spy", path=os.path.dirname(sys.executable)) or "py-spy"
    out = Path(folder) / f"{Path(log).stem}.txt"
    argv = [spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "250",
            "--output", str(out)]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _run(
    settings: Settings, source: str, sink: str, backlog: list[Message], expected: int,
    items: int, paced: tuple[list[Message], list[Message]], rate: float, name: str,
    alerts: list[str] | None = None, warm: int = 1,
) -> Result:  # fmt: skip
    """Throughput on the backlog, then latency on the paced pairs. ``alerts`` (the allocator):
    the alert of each (alert, tick) pair, whose decision answers the tick; without (the loops),
    each paced message is answered by its own copy. Answers are matched by content, not by
    position, so a late or extra record cannot shift the pairing."""
    collector = Collector(settings.bootstrap_servers, sink, REGION_PARTITIONS)
    await collector.start()
    try:
        await collector.until(lambda rs: len(rs) >= warm, within=120)
        base = len(collector.records)
        sent = await produce(settings.bootstrap_servers, source, backlog)
        await collector.until(lambda rs: len(rs) >= base + expected, within=600)
        seconds = max(collector.arrived[base + expected - 1] - sent[0], 1e-9)
        setup, pairs = paced
        await produce(settings.bootstrap_servers, source, setup)
        sent_at = await produce(settings.bootstrap_servers, source, pairs, rate=rate)
        starts: dict[Any, float] = (
            dict(zip(alerts, sent_at[1::2], strict=True)) if alerts is not None
            else {value: at for (_, value), at in zip(pairs, sent_at, strict=True)}
        )  # fmt: skip
        answered = _Answers(starts, decided=alerts is not None, cursor=base)
        await collector.until(answered.complete, within=300)
        return Result(name, items, seconds, answered.latencies(collector.arrived))
    finally:
        await collector.stop()


@dataclass
class _Answers:
    """Which paced messages are answered, read incrementally from the collector's records."""

    starts: dict[Any, float]
    decided: bool
    cursor: int
    seen: dict[Any, int] = field(default_factory=dict)

    def complete(self, records: list[Any]) -> bool:
        for index in range(self.cursor, len(records)):
            value = records[index].value
            key = (orjson.loads(value).get("data") or {}).get("alert_id") if self.decided else value
            if key in self.starts and key not in self.seen:
                self.seen[key] = index
        self.cursor = len(records)
        return len(self.seen) == len(self.starts)

    def latencies(self, arrived: list[float]) -> list[float]:
        return [arrived[index] - self.starts[key] for key, index in self.seen.items()]


async def compare(settings: Settings, *, regions: int = 5, alerts: int = 300, rate: float = 20.0,
                  pairs: int = 200) -> list[Result]:  # fmt: skip
    names = ("HT01", "HT02", "HT03", "HT05", "HT07")[:regions]
    workload = Workload(regions=names, shelters=150, vehicles=15, alerts=alerts, alerts_per_tick=10)
    events = workload.events()
    decisions = sum(len(replay(evs)[1]) for _, evs in by_region(events))
    households = sum(
        len(e.payload.households) for e in events if isinstance(e.payload, DisplacementAlert)
    )
    backlog = _messages(events)
    # the loops copy messages in a few ms: they get the backlog several times over, so that
    # their rate is not the start of a stream (same messages; they do not read them)
    loop_backlog = backlog * LOOP_BACKLOG
    setup, paced = _paced("HT09", pairs)
    paced_messages = (_messages(setup), _messages(paced))
    paced_alerts = [e.event_id for e in paced if isinstance(e.payload, DisplacementAlert)]

    namespace = f"bench{uuid.uuid4().hex[:8]}"
    raw_plans = [topics.TopicPlan(f"{namespace}.raw.{d}", REGION_PARTITIONS, None, "delete")
                 for d in ("in", "out")]  # fmt: skip
    await prepare(settings.bootstrap_servers, namespace, settings.partners_file,
                  secure=settings.kafka_security != "none")  # fmt: skip
    await topics.ensure_topics(settings.bootstrap_servers, raw_plans)
    home = tempfile.mkdtemp(prefix="corridor-bench-")
    env = {**os.environ, "CORRIDOR_KAFKA_BOOTSTRAP": settings.bootstrap_servers,
           "CORRIDOR_TOPIC_NAMESPACE": namespace, "CORRIDOR_FAUST_STORE": "memory://",
           "CORRIDOR_STATE_DIR": home, "CORRIDOR_LOG_LEVEL": "WARNING"}  # fmt: skip
    results = []

    faust_plans = [topics.TopicPlan(f"{namespace}.faust-{f}.{d}", REGION_PARTITIONS, None, "delete")
                   for f in FAUST_FLAVOURS for d in ("in", "out")]  # fmt: skip
    await topics.ensure_topics(settings.bootstrap_servers, faust_plans)
    raw_in, raw_out = f"{namespace}.raw.in", f"{namespace}.raw.out"
    argv = [sys.executable, "-m", "services.bench.rawloop", settings.bootstrap_servers,
            raw_in, raw_out, f"{namespace}-raw"]  # fmt: skip
    with _process(argv, env, f"{home}/rawloop.log"):
        await produce(settings.bootstrap_servers, raw_in, [(b"warm", b"up")])
        n = len(loop_backlog)
        raw = await _run(settings, raw_in, raw_out, loop_backlog, n, n, paced_messages, rate,
                         "raw aiokafka loop")  # fmt: skip
        results.append(raw)

    for flavour in FAUST_FLAVOURS:  # a trivial faust agent, as the bench's admin principal
        f_in, f_out = f"{namespace}.faust-{flavour}.in", f"{namespace}.faust-{flavour}.out"
        f_env = {**env, "CORRIDOR_BENCH_FAUST": flavour, "CORRIDOR_BENCH_SOURCE": f_in,
                 "CORRIDOR_BENCH_SINK": f_out}  # fmt: skip
        argv = [sys.executable, "-m", "services.bench.faustloop", "worker", "-l", "warn"]
        with _process(argv, f_env, f"{home}/faust-{flavour}.log"):
            await produce(settings.bootstrap_servers, f_in, [(b"warm", b"up")])
            name = f"faust agent, {flavour} settings"
            n = len(loop_backlog)
            row = await _run(settings, f_in, f_out, loop_backlog, n, n, paced_messages, rate,
                             name)  # fmt: skip
            results.append(row)

    source = topic_name(REGION_EVENTS, namespace)
    sink = topic_name(ALLOCATION_DECISIONS, namespace)
    argv = [sys.executable, "-m", "services.allocator", "worker", "-l", "warn"]
    with _process(argv, env, f"{home}/allocator.log"):
        warm_setup, warm_pairs = _paced("HT10", 1)
        warm = [tick("HT10", START - timedelta(minutes=1), 0), *warm_setup, *warm_pairs]
        await produce(settings.bootstrap_servers, source, _messages(warm))
        alloc = await _run(settings, source, sink, backlog, decisions, households,
                           paced_messages, rate, "allocator processor", alerts=paced_alerts,
                           warm=len(replay(warm)[1]))  # fmt: skip
        alloc.events = len(backlog)
        results.append(alloc)

    # intake, on the partner messages the same backlog came from, in a namespace of its own
    # (its region log must start empty)
    intake_ns = f"{namespace}i"
    await prepare(settings.bootstrap_servers, intake_ns, settings.partners_file,
                  secure=settings.kafka_security != "none")  # fmt: skip
    ingress = as_ingress(events, secrets(settings), datetime.now(UTC))
    argv = [sys.executable, "-m", "services.intake", "worker", "-l", "warn"]
    i_env = {**env, "CORRIDOR_TOPIC_NAMESPACE": intake_ns}
    if settings.partner_secrets_file is not None:  # the partners' signing secrets (corridor up)
        i_env["CORRIDOR_PARTNER_SECRETS_FILE"] = str(settings.partner_secrets_file)
    with _process(argv, i_env, f"{home}/intake.log"):
        results.append(await measure_intake(settings, intake_ns, ingress))
    return results


def report(settings: Settings, *, quality: bool) -> str:
    from services.bench.decision_cost import bench_decision_cost

    started = time.perf_counter()
    results = asyncio.run(compare(settings))
    raw, default, corridor, alloc, intake = results
    events = alloc.events / alloc.seconds
    alloc_events = raw.items // LOOP_BACKLOG

    def rate(r: Result) -> float:
        return r.items / r.seconds

    lines = [
        f"broker {settings.bootstrap_servers}; throughput on a backlog of {alloc_events:,} region"
        f" events ({raw.items:,} messages for the loops), latency paced at 20/s",
        raw.row("messages/s"),
        default.row("messages/s"),
        corridor.row("messages/s"),
        alloc.row("households/s"),
        alloc.row("region events/s", alloc.events).replace(alloc.name, " " * len(alloc.name)),
        intake.row("admitted events/s"),
        f"faust agent: default settings {rate(default) / rate(raw):.1%}, Corridor's settings"
        f" {rate(corridor) / rate(raw):.1%} of the raw loop ({rate(corridor) / rate(default):.2f}x"
        " default)",
        f"allocator throughput is {rate(alloc) / rate(raw):.1%} of the raw loop's message rate and"
        f" {rate(alloc) / rate(corridor):.1%} of the Corridor-settings agent's (households vs"
        " messages; one region event carries 0-4 households)",
        f"in region events/s, the allocator runs at {events / rate(corridor):.1%}"
        f" of the Corridor-settings agent and {events / rate(raw):.1%} of the"
        f" raw loop; intake, in admitted events/s, at {rate(intake) / rate(corridor):.1%} and"
        f" {rate(intake) / rate(raw):.1%}",
    ]
    cost = bench_decision_cost(shelters=10_000, households=2_000, seed=0)
    lines.append(f"core decision cost with 10,000 shelters in a region: {cost}")
    if quality:
        from services.bench.quality import compare as quality_compare
        from services.bench.quality import format_table
        from services.bench.streaming import format_stream, stream_compare

        lines.append("placement quality, one batch (every alert sealed by one tick):")
        lines.append(format_table(quality_compare()))
        lines.append("placement quality, streaming (a tick after every 1, 20, 200 alerts):")
        lines.append(format_stream(stream_compare()))
    lines.append(f"(bench took {time.perf_counter() - started:.0f} s)")
    return "\n".join(lines)
