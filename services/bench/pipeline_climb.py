"""The pipeline's side of `corridor bench pipeline`: readers of its outputs, the shelters and the
warm-up, one step offered and measured, the climb to saturation, and the check at half the
saturation rate, on the climb's workers and on a fresh pipeline of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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
    saturation_rate,
)
from services.bench.pipeline_path import Decided, split
from services.bench.procs import pipeline_workers, workers_namespace
from services.config import Settings
from services.kafka_access import connect, connect_partner
from services.publish import secrets

REGIONS = ("HT01", "HT02", "HT03", "HT04", "HT05", "HT06", "HT07", "HT08", "HT09", "HT10")


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
    half: bool = False  # the check at half the saturation rate (on the fresh pipeline)


@dataclass
class Climb:
    """The pipeline's side of a run, step by step."""

    steps: list[Step] = field(default_factory=list)
    saturated: int | None = None
    reason: str | None = None
    half: Step | None = None  # at half the saturation rate, on a fresh pipeline
    half_after_climb: Step | None = None  # the same rate on the climb's workers and state
    noise: list[dict[str, Any]] = field(default_factory=list)  # saturated once, not when repeated
    rss: list[dict[str, int | None]] = field(default_factory=list)  # workers' VmRSS after steps
    namespaces: dict[str, str] = field(default_factory=dict)  # "climb", "fresh half" → namespace


@dataclass
class Pipeline:
    """A namespace's running workers, as the harness offers them alerts."""

    settings: Settings
    opts: Options
    ns: str
    seen: load.Seen  # decisions, by alert id
    logged: load.Seen  # the region log, by event id: intake's part and the path's stamps
    received: load.Seen  # the ingress alerts, by event id: the harness's part of intake's

    async def step(self, rate: float, prefix: str, plan: list[Offer] | None = None,
                   half: bool = False) -> Step:  # fmt: skip
        """Offer alerts at ``rate`` for the step's duration (noted in ``plan`` for the raw
        loop), wait for their decisions, measure."""
        opts, settings = self.opts, self.settings
        messages = load.alerts(REGIONS[: opts.regions], max(2, round(rate * opts.duration)),
                               secrets(settings)[load.ALERTER], load.utc_now(),
                               f"{prefix}-{self.ns}")  # fmt: skip
        if plan is not None:
            plan.append(Offer(rate, messages, half))
        partner = connect_partner(load.ALERTER, settings)
        drain = 2 * opts.duration + opts.drain
        return await offered(self.seen, partner, topic_name(load.ALERTS, self.ns), rate,
                             messages, settings.tick_interval, drain, self.logged,
                             self.received)  # fmt: skip

    async def stock(self) -> None:
        """The shelters of every region, then one alert per region until all are decided."""
        settings, regions = self.settings, REGIONS[: self.opts.regions]
        keys, now = secrets(settings), load.utc_now()
        places = load.shelters(regions, self.opts.shelters, keys[load.OPERATOR], now)
        await load.paced(connect_partner(load.OPERATOR, settings),
                         topic_name(load.SHELTERS, self.ns), places, None)  # fmt: skip
        warm = load.alerts(regions, len(regions), keys[load.ALERTER], now, f"warm-{self.ns}")
        sent = await load.paced(connect_partner(load.ALERTER, settings),
                                topic_name(load.ALERTS, self.ns), warm, None)  # fmt: skip
        if not await self.seen.until_all(list(sent), 180):
            raise RuntimeError("no decision for the warm-up alerts")


@asynccontextmanager
async def running(settings: Settings, opts: Options, ns: str, env: dict[str, str], home: Path,
                  peaks: dict[str, int | None]) -> AsyncIterator[Pipeline]:  # fmt: skip
    """Intake and the allocator as workers of namespace ``ns``, the readers of their outputs,
    the shelters stocked and the pipeline warm."""
    internal = connect(settings.bootstrap_servers, settings=settings)
    seen = load.Seen(internal, topic_name(ALLOCATION_DECISIONS, ns), REGION_PARTITIONS)
    logged = load.Seen(internal, topic_name(REGION_EVENTS, ns), REGION_PARTITIONS,
                       ident="event_id")  # fmt: skip
    received = load.Seen(internal, topic_name(load.ALERTS, ns), load.ingress_partitions(),
                         ident="event_id")  # fmt: skip
    readers = (seen, logged, received)
    for reader in readers:
        await reader.start()
    try:
        with pipeline_workers(env, home, peaks) as (intake, allocator):
            seen.workers = [intake, allocator]
            pipeline = Pipeline(settings, opts, ns, seen, logged, received)
            await pipeline.stock()
            yield pipeline
    finally:
        for reader in readers:
            await reader.stop()


async def offered(seen: load.Seen, access: dict[str, Any], topic: str, rate: float,
                  messages: list[load.Outgoing], wait: float, drain: float,
                  stage: load.Seen | None = None,
                  ingress: load.Seen | None = None) -> Step:  # fmt: skip
    """Offer ``messages`` at ``rate``, wait for their outputs; ``stage``: where they pass on
    the way (the region log), for intake's part and where the time goes (pipeline_path.py);
    ``ingress``: the topic they are sent to, which splits the harness's part off intake's."""
    sends = await load.paced(access, topic, messages, rate)
    await seen.until_all(list(sends), within=drain)
    step = measure_step(rate, sends, seen.at, wait=wait)
    if stage is None:
        return step
    part = [stage.at[k] - t for k, (t, _) in sends.items() if k in stage.at]  # intake's part
    decided = {k: Decided(seen.at[k], seen.stamped[k], seen.causes[k])
               for k in sends if k in seen.at and k in seen.causes}  # fmt: skip
    return replace(step, to_region_log=Latency.of(part),
                   path=split(sends, decided, stage.stamped, wait, stage.at,
                              None if ingress is None else ingress.stamped))  # fmt: skip


async def climb(pipeline: Pipeline, plan: list[Offer], climb: Climb) -> None:
    """Rising rates until saturation (a step that looks saturated is repeated once, so that a
    burst of the other processes on the machine does not end the climb), then half of it on
    the same workers, with the state the climb left (``climb.half_after_climb``)."""
    tick, opts, seen = pipeline.settings.tick_interval, pipeline.opts, pipeline.seen
    rule, rates, repeated = Saturation(), rate_schedule(opts.start, opts.factor, opts.steps), False
    while len(climb.steps) - len(climb.noise) < len(rates):
        rate = rates[len(climb.steps) - len(climb.noise)]
        step = await pipeline.step(rate, f"s{len(climb.steps)}", plan)
        climb.rss.append(load.resident_kib(seen.workers))
        climb.steps.append(step)
        print(line(f"pipeline step {len(climb.steps)}", step), flush=True)
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
    climb.half_after_climb = await pipeline.step(half_rate(climb), "halfclimb")
    climb.rss.append(load.resident_kib(seen.workers))
    print(line("half saturation, after the climb", climb.half_after_climb), flush=True)


async def fresh_half(settings: Settings, opts: Options, plan: list[Offer], climb: Climb,
                     peaks: dict[str, int | None]) -> None:  # fmt: skip
    """The check at half the saturation rate on a pipeline of its own: a new namespace (topics,
    consumer groups, tables), new workers, stocked and warmed like the climb's; nothing of the
    climb's state. Its workers' peak RSS go into ``peaks`` as "<name>, fresh"."""
    ns, home, env = await workers_namespace(settings, "benchp", "WARNING")
    climb.namespaces["fresh half"] = ns
    own: dict[str, int | None] = {}
    try:
        async with running(settings, opts, ns, env, home, own) as pipeline:
            climb.half = await pipeline.step(half_rate(climb), "half", plan, half=True)
            climb.rss.append(load.resident_kib(pipeline.seen.workers))
    except RuntimeError as exc:
        raise RuntimeError(f"{exc} (the fresh workers' logs: {home})") from exc
    finally:
        peaks.update({f"{name}, fresh": kib for name, kib in own.items()})
    print(line("half saturation, fresh pipeline", climb.half), flush=True)


def half_rate(climb: Climb) -> float:
    """Half the saturation rate the climb found (alerts/s)."""
    return round(saturation_rate(climb.steps, climb.saturated) / 2, 1)


def line(name: str, s: Step) -> str:
    lat = s.latency
    return (f"{name:<34} offered {s.offered_per_s:>8,.0f}/s  decided {s.decided_per_s:>8,.0f}/s"
            f"  {s.households_per_s:>8,.0f} households/s  p50 {lat.p50 * 1000:>7.1f} ms"
            f"  p99 {lat.p99 * 1000:>7.1f} ms  max {lat.max * 1000:>7.1f} ms"
            f"  ({s.decided}/{s.sent})")  # fmt: skip
