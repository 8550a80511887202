"""`corridor bench pipeline`: intake and the allocator as worker processes (each its own
principal), fed signed displacement alerts by the protection cluster as itself (over TLS) at
rising rates until saturation; next to a raw two-hop aiokafka loop on the same broker and run.

Latency is from the time the harness hands an alert to its producer to the time a reader of
allocation.decisions.v1 sees the decision naming that alert (the raw loop: its copy on the
second hop's output, matched by key). The pure parts: pipeline_model.py, pipeline_path.py."""

from __future__ import annotations

import asyncio
import os
import resource
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from schemas.catalogue import ALLOCATION_DECISIONS, REGION_EVENTS, REGION_PARTITIONS, topic_name
from services.bench import pipeline_load as load
from services.bench.pipeline_model import (
    Latency,
    Saturation,
    Step,
    harness_bound,
    measure_step,
    rate_schedule,
    report,
    saturation_rate,
)
from services.bench.pipeline_path import Decided, split
from services.bench.pipeline_text import summary
from services.bench.procs import code_version, pipeline_workers, process, workers_namespace
from services.config import Settings
from services.kafka_access import connect, connect_partner
from services.publish import secrets
from services.stack import topics

REGIONS = ("HT01", "HT02", "HT03", "HT04", "HT05", "HT06", "HT07", "HT08", "HT09", "HT10")
ADMIN = "admin"  # the bench's own principal (services/cli/bench.py)


@dataclass(frozen=True)
class Options:
    start: float = 25.0  # alerts/s of the first step
    factor: float = 1.5
    steps: int = 12
    duration: float = 8.0  # seconds of sending per step
    regions: int = 10
    shelters: int = 20  # per region
    backlog: int = 20_000  # messages the raw loop copies flat out, for its own saturation rate
    drain: float = 60.0  # most seconds to wait for a step's last decisions, beyond 2 durations
    confirm: bool = True  # repeat a step that looks saturated once before believing it


@dataclass(frozen=True)
class Offer:
    """Alerts offered at one rate, kept so the raw loop gets the very same messages."""

    rate: float
    messages: list[load.Outgoing]
    half: bool = False  # the check at half the saturation rate


@dataclass
class Run:
    """What one run measured, before it becomes the report."""

    pipeline: Climb
    raw: list[Step]
    raw_half: Step | None
    raw_backlog: Step | None
    peaks: dict[str, int | None]


async def _step(seen: load.Seen, access: dict[str, Any], topic: str, rate: float,
                messages: list[load.Outgoing], wait: float, drain: float,
                stage: load.Seen | None = None) -> Step:  # fmt: skip
    """Offer ``messages`` at ``rate``, wait for their outputs; ``stage``: where they pass on
    the way (the region log), for intake's part and where the time goes (pipeline_path.py)."""
    sends = await load.paced(access, topic, messages, rate)
    await seen.until_all(list(sends), within=drain)
    step = measure_step(rate, sends, seen.at, wait=wait)
    if stage is None:
        return step
    part = [stage.at[k] - t for k, (t, _) in sends.items() if k in stage.at]  # intake's part
    decided = {k: Decided(seen.at[k], seen.stamped[k], seen.causes[k])
               for k in sends if k in seen.at and k in seen.causes}  # fmt: skip
    return replace(step, to_region_log=Latency.of(part),
                   path=split(sends, decided, stage.stamped, wait, stage.at))  # fmt: skip


@dataclass
class Climb:
    """The pipeline's side of a run, step by step."""

    steps: list[Step] = field(default_factory=list)
    saturated: int | None = None
    reason: str | None = None
    half: Step | None = None
    noise: list[dict[str, Any]] = field(default_factory=list)  # saturated once, not when repeated
    rss: list[dict[str, int | None]] = field(default_factory=list)  # workers' VmRSS after steps


async def _climb(settings: Settings, opts: Options, ns: str, seen: load.Seen,
                 logged: load.Seen, plan: list[Offer], climb: Climb) -> None:  # fmt: skip
    """Rising rates until saturation (a step that looks saturated is repeated once, so that a
    burst of the other processes on the machine does not end the climb), then half of it."""
    tick, regions, keys = settings.tick_interval, REGIONS[: opts.regions], secrets(settings)
    partner, topic = connect_partner(load.ALERTER, settings), topic_name(load.ALERTS, ns)
    drain = 2 * opts.duration + opts.drain

    async def offer(rate: float, half: bool = False) -> Step:
        prefix = f"half-{ns}" if half else f"s{len(climb.steps)}-{ns}"
        messages = load.alerts(regions, max(2, round(rate * opts.duration)),
                               keys[load.ALERTER], load.utc_now(), prefix)  # fmt: skip
        plan.append(Offer(rate, messages, half))
        step = await _step(seen, partner, topic, rate, messages, tick, drain, logged)
        climb.rss.append(load.resident_kib(seen.workers))
        return step

    now = load.utc_now()
    places = load.shelters(regions, opts.shelters, keys[load.OPERATOR], now)
    await load.paced(connect_partner(load.OPERATOR, settings),
                     topic_name(load.SHELTERS, ns), places, None)  # fmt: skip
    warm = load.alerts(regions, len(regions), keys[load.ALERTER], now, f"warm-{ns}")
    if not await seen.until_all(list(await load.paced(partner, topic, warm, None)), 180):
        raise RuntimeError("no decision for the warm-up alerts")
    rule, rates, repeated = Saturation(), rate_schedule(opts.start, opts.factor, opts.steps), False
    while len(climb.steps) - len(climb.noise) < len(rates):
        rate = rates[len(climb.steps) - len(climb.noise)]
        step = await offer(rate)
        climb.steps.append(step)
        print(_line(f"pipeline step {len(climb.steps)}", step), flush=True)
        if harness_bound(step):
            climb.saturated, climb.reason = len(climb.steps) - 1, "the harness could not keep up"
            break
        reason = rule.reason(step, tick, baseline=climb.steps[0])
        if reason is not None and opts.confirm and not repeated:
            print(f"  looks saturated ({reason}): repeating the step", flush=True)
            climb.noise.append({"step": len(climb.steps) - 1, "reason": reason})
            repeated = True
            continue
        if reason is not None:
            climb.saturated, climb.reason = len(climb.steps) - 1, reason
            break
        if repeated:  # the repeat followed: the first try was noise
            repeated = False
    if climb.noise and climb.saturated == climb.noise[-1]["step"] + 1:
        # confirmed by its repeat: saturation from the first try on, not noise
        climb.saturated = climb.noise.pop()["step"]
        climb.reason = f"{climb.reason}, and again when repeated"
    # let a saturated step's backlog drain before the check at half the saturation rate
    await seen.until_all([o.messages[-1].key.decode() for o in plan], opts.drain)
    climb.half = await offer(round(saturation_rate(climb.steps, climb.saturated) / 2, 1), True)
    print(_line("pipeline at half saturation", climb.half), flush=True)


async def _pipeline(settings: Settings, opts: Options, ns: str, env: dict[str, str],
                    home: Path, plan: list[Offer],
                    peaks: dict[str, int | None]) -> Climb:  # fmt: skip
    """Intake and the allocator as workers while the climb runs."""
    internal = connect(settings.bootstrap_servers, settings=settings)
    seen = load.Seen(internal, topic_name(ALLOCATION_DECISIONS, ns), REGION_PARTITIONS)
    logged = load.Seen(internal, topic_name(REGION_EVENTS, ns), REGION_PARTITIONS,
                       ident="event_id")  # fmt: skip
    await seen.start()
    await logged.start()
    climb = Climb()
    try:
        with pipeline_workers(env, home, peaks) as (intake, allocator):
            seen.workers = [intake, allocator]
            await _climb(settings, opts, ns, seen, logged, plan, climb)
    finally:
        await seen.stop()
        await logged.stop()
    return climb


async def _raw(settings: Settings, ns: str, env: dict[str, str], home: Path,
               plan: list[Offer], opts: Options,
               peaks: dict[str, int | None]) -> tuple[list[Step], Step | None, Step]:  # fmt: skip
    """The same messages, at the same rates, through ingress → middle → out: two processes,
    each consume → produce with aiokafka, nothing else (services/bench/rawloop.py)."""
    names = {d: f"{ns}.raw.{d}" for d in ("in", "mid", "out")}
    await topics.ensure_topics(settings.bootstrap_servers, [
        topics.TopicPlan(names["in"], load.ingress_partitions(), None, "delete"),
        topics.TopicPlan(names["mid"], REGION_PARTITIONS, None, "delete"),
        topics.TopicPlan(names["out"], REGION_PARTITIONS, None, "delete"),
    ])  # fmt: skip
    # the harness sends as its own principal over the same TLS listener the partners use
    sender = connect_partner(ADMIN, settings)
    seen = load.Seen(connect(settings.bootstrap_servers, settings=settings), names["out"],
                     REGION_PARTITIONS, ident="key")  # fmt: skip
    await seen.start()
    steps, half = [], None
    hop = ["-m", "services.bench.rawloop", settings.bootstrap_servers]
    try:
        with (
            process([*hop, names["in"], names["mid"], f"{ns}-hop1"], env,
                    home / "hop1.log", peaks, "raw hop 1") as hop1,
            process([*hop, names["mid"], names["out"], f"{ns}-hop2"], env,
                    home / "hop2.log", peaks, "raw hop 2") as hop2,
        ):  # fmt: skip
            seen.workers = [hop1, hop2]
            warm = [load.Outgoing(b"warm", b"up", 0)]
            await load.paced(sender, names["in"], warm, None)
            if not await seen.until_all(["warm"], within=120):
                raise RuntimeError("the raw loop copied nothing")
            drain = 2 * opts.duration + opts.drain
            for offer in plan:
                step = await _step(seen, sender, names["in"], offer.rate, offer.messages, 0.0,
                                   drain)  # fmt: skip
                if offer.half:
                    half = step
                else:
                    steps.append(step)
                print(_line("raw two-hop loop", step), flush=True)
            messages = [m for o in plan for m in o.messages]
            copies = max(1, -(-opts.backlog // len(messages)))  # at least opts.backlog
            everything = [load.Outgoing(f"b{c}-".encode() + m.key, m.value, m.households)
                          for c in range(copies) for m in messages]  # fmt: skip
            sends = await load.paced(sender, names["in"], everything, None)
            await seen.until_all(list(sends), within=drain)
            backlog = measure_step(0.0, sends, seen.at)
            print(_line("raw two-hop loop, backlog", backlog), flush=True)
    finally:
        await seen.stop()
    return steps, half, backlog


async def measure(settings: Settings, opts: Options) -> tuple[Run, Path]:
    ns, home, env = await workers_namespace(settings, "benchp", "WARNING")
    peaks: dict[str, int | None] = {}
    plan: list[Offer] = []
    try:
        climb = await _pipeline(settings, opts, ns, env, home, plan, peaks)
        raw, raw_half, backlog = await _raw(settings, ns, env, home, plan, opts, peaks)
    except RuntimeError as exc:
        raise RuntimeError(f"{exc} (the workers' logs: {home})") from exc
    peaks["harness"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return Run(climb, raw, raw_half, backlog, peaks), home


def _line(name: str, s: Step) -> str:
    lat = s.latency
    return (f"{name:<30} offered {s.offered_per_s:>8,.0f}/s  decided {s.decided_per_s:>8,.0f}/s"
            f"  {s.households_per_s:>8,.0f} households/s  p50 {lat.p50 * 1000:>7.1f} ms"
            f"  p99 {lat.p99 * 1000:>7.1f} ms  max {lat.max * 1000:>7.1f} ms"
            f"  ({s.decided}/{s.sent})")  # fmt: skip


def to_report(run: Run, settings: Settings, opts: Options, meta: dict[str, Any]) -> dict[str, Any]:
    return report(
        meta={**meta, "options": opts.__dict__, "broker": settings.bootstrap_servers},
        pipeline=run.pipeline.steps, saturated=run.pipeline.saturated,
        reason=run.pipeline.reason, half=run.pipeline.half, noise=run.pipeline.noise,
        rss=run.pipeline.rss, raw=run.raw,
        raw_half=run.raw_half, raw_backlog=run.raw_backlog,
        tick=settings.tick_interval, peak_rss_kib=run.peaks,
    )  # fmt: skip


def run(settings: Settings, opts: Options, out: Path | None) -> str:
    """Measure, write the JSON report (``out``, else the state folder's bench/), summarise."""
    import json
    import time
    from datetime import UTC, datetime

    started = datetime.now(UTC)
    busy = os.getloadavg()  # the machine is shared: how busy it was
    code = code_version()  # the workers import what the tree holds when they start
    clock = time.monotonic()
    result, home = asyncio.run(measure(settings, opts))
    meta = {"started": started.isoformat(timespec="seconds"), "cpus": os.cpu_count(),
            "load_average_at_start": busy, "load_average_at_end": os.getloadavg(),
            "seconds": round(time.monotonic() - clock, 1), "logs": str(home), **code}  # fmt: skip
    doc = to_report(result, settings, opts, meta)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    path = out or settings.state_dir / "bench" / f"pipeline-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return summary(doc, path)
