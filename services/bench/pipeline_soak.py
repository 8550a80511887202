"""A long run of the pipeline at one rate, for the workers' memory over time (the allocator's
garbage collection policy, services/gcpolicy.py, must not leak): intake and the allocator as
`corridor bench pipeline` runs them, alerts at a steady rate, and after every minute the
workers' resident set size (VmRSS) and the minute's latency.

    .venv/bin/python -c "from services.bench.pipeline_soak import main; main(15, 60, 1000)"
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any

from schemas.catalogue import ALLOCATION_DECISIONS, REGION_PARTITIONS, topic_name
from services.bench import pipeline_load as load
from services.bench.pipeline_climb import REGIONS
from services.bench.pipeline_model import measure_step
from services.bench.procs import code_version, pipeline_workers, workers_namespace
from services.config import Settings
from services.kafka_access import connect, connect_partner
from services.publish import secrets


async def soak(settings: Settings, minutes: int, rate: float, shelters: int,
               chunk: float = 60.0, prefix: str = "benchs") -> list[dict[str, Any]]:  # fmt: skip
    """One row per ``chunk`` seconds of alerts at ``rate``: latency and the workers' VmRSS.
    ``prefix``: of the namespace (``corridor bench`` removes every ``bench…`` one when it ends,
    also another run's; a soak beside other benches needs another prefix, and removes its
    namespace itself)."""
    ns, home, env = await workers_namespace(settings, prefix, "INFO")
    keys, rows = secrets(settings), []
    peaks: dict[str, int | None] = {}
    seen = load.Seen(connect(settings.bootstrap_servers, settings=settings),
                     topic_name(ALLOCATION_DECISIONS, ns), REGION_PARTITIONS)  # fmt: skip
    await seen.start()
    partner = connect_partner(load.ALERTER, settings)
    topic = topic_name(load.ALERTS, ns)
    try:
        with pipeline_workers(env, home, peaks) as (intake, allocator):
            seen.workers = [intake, allocator]
            now = load.utc_now()
            places = load.shelters(REGIONS, shelters, keys[load.OPERATOR], now)
            await load.paced(connect_partner(load.OPERATOR, settings),
                             topic_name(load.SHELTERS, ns), places, None)  # fmt: skip
            warm = load.alerts(REGIONS, len(REGIONS), keys[load.ALERTER], now, f"warm-{ns}")
            if not await seen.until_all(list(await load.paced(partner, topic, warm, None)), 300):
                raise RuntimeError(f"no decision for the warm-up alerts (logs: {home})")
            started = time.monotonic()
            rows.append({"minute": 0, "rss_kib": load.resident_kib(seen.workers)})
            for n in range(1, int(minutes * 60 / chunk) + 1):
                messages = load.alerts(REGIONS, round(rate * chunk), keys[load.ALERTER],
                                       load.utc_now(), f"m{n}-{ns}")  # fmt: skip
                sends = await load.paced(partner, topic, messages, rate)
                await seen.until_all(list(sends), within=chunk + 60)
                step = measure_step(rate, sends, seen.at, wait=settings.tick_interval)
                rows.append({"minute": round((time.monotonic() - started) / 60, 1),
                             "decided": step.decided, "sent": step.sent,
                             "p50_ms": round(step.latency.p50 * 1000, 1),
                             "p99_ms": round(step.latency.p99 * 1000, 1),
                             "rss_kib": load.resident_kib(seen.workers),
                             "load": os.getloadavg()[0]})  # fmt: skip
                print(json.dumps(rows[-1]), flush=True)
    finally:
        await seen.stop()
    rows.append({"peak_rss_kib": peaks, "logs": str(home), "namespace": ns, **code_version()})
    return rows


def main(minutes: int = 15, rate: float = 60.0, shelters: int = 1000) -> None:
    from services.cli.bench import _as_bench_admin

    with _as_bench_admin() as settings:
        rows = asyncio.run(soak(settings, minutes, rate, shelters))
    out = (
        settings.state_dir / "bench" / f"soak-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    )
    out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"report: {out}")
