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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.catalogue import REGION_PARTITIONS
from services.bench import pipeline_load as load
from services.bench.pipeline_climb import (
    Climb,
    Offer,
    Options,
    climb,
    fresh_half,
    line,
    offered,
    running,
)
from services.bench.pipeline_model import Step, measure_step, report
from services.bench.pipeline_text import summary
from services.bench.procs import code_version, process, workers_namespace
from services.config import Settings
from services.kafka_access import connect, connect_partner
from services.stack import topics

ADMIN = "admin"  # the bench's own principal (services/cli/bench.py)
__all__ = ["Options", "run"]


@dataclass
class Run:
    """What one run measured, before it becomes the report."""

    pipeline: Climb
    raw: list[Step]
    raw_half: Step | None
    raw_backlog: Step | None
    peaks: dict[str, int | None]


async def _pipeline(settings: Settings, opts: Options, ns: str, env: dict[str, str],
                    home: Path, plan: list[Offer],
                    peaks: dict[str, int | None]) -> Climb:  # fmt: skip
    """The climb on the workers of namespace ``ns`` (and half its saturation rate on the state
    it left), then the check at half the saturation rate on a fresh pipeline (pipeline_climb)."""
    result = Climb(namespaces={"climb": ns})
    async with running(settings, opts, ns, env, home, peaks) as pipeline:
        await climb(pipeline, plan, result)
    await fresh_half(settings, opts, plan, result, peaks)
    return result


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
                step = await offered(seen, sender, names["in"], offer.rate, offer.messages,
                                     0.0, drain)  # fmt: skip
                if offer.half:
                    half = step
                else:
                    steps.append(step)
                print(line("raw two-hop loop", step), flush=True)
            messages = [m for o in plan for m in o.messages]
            copies = max(1, -(-opts.backlog // len(messages)))  # at least opts.backlog
            everything = [load.Outgoing(f"b{c}-".encode() + m.key, m.value, m.households)
                          for c in range(copies) for m in messages]  # fmt: skip
            sends = await load.paced(sender, names["in"], everything, None)
            await seen.until_all(list(sends), within=drain)
            backlog = measure_step(0.0, sends, seen.at)
            print(line("raw two-hop loop, backlog", backlog), flush=True)
    finally:
        await seen.stop()
    return steps, half, backlog


async def measure(settings: Settings, opts: Options) -> tuple[Run, Path]:
    ns, home, env = await workers_namespace(settings, "benchp", "WARNING")
    peaks: dict[str, int | None] = {}
    plan: list[Offer] = []
    try:
        pipeline = await _pipeline(settings, opts, ns, env, home, plan, peaks)
        raw, raw_half, backlog = await _raw(settings, ns, env, home, plan, opts, peaks)
    except RuntimeError as exc:
        raise RuntimeError(f"{exc} (the workers' logs: {home})") from exc
    peaks["harness"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return Run(pipeline, raw, raw_half, backlog, peaks), home


def to_report(run: Run, settings: Settings, opts: Options, meta: dict[str, Any]) -> dict[str, Any]:
    return report(
        meta={**meta, "options": opts.__dict__, "broker": settings.bootstrap_servers},
        pipeline=run.pipeline.steps, saturated=run.pipeline.saturated,
        reason=run.pipeline.reason, half=run.pipeline.half,
        half_after_climb=run.pipeline.half_after_climb, noise=run.pipeline.noise,
        rss=run.pipeline.rss, namespaces=run.pipeline.namespaces, raw=run.raw,
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
