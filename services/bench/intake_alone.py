"""`python -m services.bench.intake_alone [runs]`: only the intake row of `corridor bench
allocator` (same workload, same worker, same measure), with where the time went: the producers'
start-up and sending, the sequencer's stamps (intake's own clock, in `sequenced_at`) and the
arrivals. A diagnosis tool for issue 10 (docs/architecture.md "Throughput")."""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson

from schemas.catalogue import REGION_EVENTS, REGION_PARTITIONS, topic_name
from services.bench.allocator import _process
from services.bench.intake import measure_intake
from services.bench.kafka import Collector
from services.bench.workload import Workload, as_ingress
from services.config import PROJECT_ROOT, Settings
from services.intake.topology import ADMITTED, ADMITTED_PARTITIONS
from services.publish import secrets
from services.stack.local import prepare


async def once(settings: Settings) -> str:
    names = ("HT01", "HT02", "HT03", "HT05", "HT07")
    events = Workload(regions=names, shelters=150, vehicles=15, alerts=300,
                      alerts_per_tick=10).events()  # fmt: skip
    namespace = f"bench{uuid.uuid4().hex[:8]}i"
    await prepare(settings.bootstrap_servers, namespace, settings.partners_file,
                  secure=settings.kafka_security != "none")  # fmt: skip
    home = tempfile.mkdtemp(prefix="corridor-bench-")
    env = {**os.environ, "CORRIDOR_KAFKA_BOOTSTRAP": settings.bootstrap_servers,
           "CORRIDOR_TOPIC_NAMESPACE": namespace, "CORRIDOR_FAUST_STORE": "memory://",
           "CORRIDOR_STATE_DIR": home, "CORRIDOR_LOG_LEVEL": "WARNING"}  # fmt: skip
    if settings.partner_secrets_file is not None:
        env["CORRIDOR_PARTNER_SECRETS_FILE"] = str(settings.partner_secrets_file)
    ingress = as_ingress(events, secrets(settings), datetime.now(UTC))
    argv = [sys.executable, "-m", "services.intake", "worker", "-l", "warn"]
    probes = os.environ.get("CORRIDOR_BENCH_INTAKE_PROBES")
    if probes:  # the same worker with timing probes (services/bench/intake_probes.py)
        argv = [sys.executable, str(PROJECT_ROOT / "services" / "bench" / "intake_probes.py")]
        env["PYTHONPATH"] = str(PROJECT_ROOT)
    with _process(argv, env, f"{home}/intake.log"):
        samples: list[tuple[float, dict[str, float]]] = []
        sampler = asyncio.create_task(_cpu_samples(samples))
        try:
            result = await measure_intake(settings, namespace, ingress)
        finally:
            if sampler.done() and sampler.exception() is not None:
                print("cpu sampler failed:", repr(sampler.exception()), flush=True)
            sampler.cancel()
    # the gate's sends (the admitted topic's CreateTime), read back
    gate = Collector(settings.bootstrap_servers, topic_name(ADMITTED, namespace),
                     ADMITTED_PARTITIONS)  # fmt: skip
    await gate.start()
    await gate.until(lambda rs: len(rs) >= len(ingress), within=60)
    await gate.stop()
    gated = sorted(r.timestamp / 1000 for r in gate.records)
    # intake's own stamps, read back from the region log
    log = Collector(settings.bootstrap_servers, topic_name(REGION_EVENTS, namespace),
                    REGION_PARTITIONS)  # fmt: skip
    await log.start()
    await log.until(lambda rs: len(rs) >= result.items, within=60)
    await log.stop()
    stamps = sorted(
        datetime.fromisoformat(obj["time"]).timestamp()
        for obj in (orjson.loads(r.value) for r in log.records)
        if "tick" not in obj["type"].lower()
    )
    timing = result.timing
    first_sent = timing["first_sent"]
    cpu = _cpu_in(samples, first_sent, timing["last_arrival"])
    parts = ", ".join(f"{k} {v - first_sent:+.3f}" for k, v in timing.items())

    def spread(times: list[float]) -> str:
        marks = [times[int(q * (len(times) - 1))] - first_sent for q in (0, 0.25, 0.5, 0.75, 1)]
        return "/".join(f"{m:.2f}" for m in marks)

    return (
        f"gate sent {spread(gated)}; sequenced {spread(stamps)}; arrived"
        f" {spread(sorted(result.arrivals))}\n"
        f"{result.row('admitted events/s')}  window {result.seconds:.3f} s; {parts};"
        f" sequenced {stamps[0] - first_sent:+.3f} .. {stamps[-1] - first_sent:+.3f}"
        f" ({len(stamps) / max(stamps[-1] - stamps[0], 1e-9):,.0f}/s between first and last);"
        f" intake CPU in the window: {cpu}" + (_probed(probes, first_sent) if probes else "")
    )


def _probed(path: str, first_sent: float) -> str:
    """The probes' fetches of the window, and the sequencer's longest waits between events."""
    spans = orjson.loads(Path(path).read_bytes())
    takes = sorted(start for name, start, _ in spans if name == "take")
    end = takes[-1] if takes else first_sent
    fetches = [(a - first_sent, b - a) for name, a, b in spans
               if name == "fetch" and first_sent - 0.1 <= a <= end]  # fmt: skip
    slow = [f"{at:+.2f} s: {took:.2f} s" for at, took in fetches if took >= 0.1]
    gaps = sorted((b - a for a, b in itertools.pairwise(takes)), reverse=True)[:3]
    return (
        f"\nprobes: {len(fetches)} fetch requests in the window, {len(slow)} of 0.1 s or more"
        f" ({', '.join(slow)}); the sequencer's longest waits between events"
        f" {', '.join(f'{g:.3f}' for g in gaps)} s"
    )


def _intake_pid() -> int | None:
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ppid == os.getpid() and any(
            b"services.intake" in p or b"intake_probes" in p for p in cmd
        ):
            return int(pid)
    return None


def _pid_of(needle: bytes) -> int | None:
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if needle in f.read():
                    return int(pid)
        except (OSError, ValueError):
            continue
    return None


def _idle() -> float:
    with open("/proc/stat") as f:
        return int(f.readline().split()[4]) / os.sysconf("SC_CLK_TCK")


def _ticks(pid: int) -> dict[str, float]:
    """CPU seconds per thread (by name) of a process."""
    hz = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        label = "main" if tid == str(pid) else name
        out[label] = out.get(label, 0.0) + (int(fields[11]) + int(fields[12])) / hz
        if label == "main":  # time runnable but waiting for a CPU
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                out["main runqueue"] = int(f.read().split()[1]) / 1e9
    return out


async def _cpu_samples(samples: list[tuple[float, dict[str, float]]]) -> None:
    pid = None
    while pid is None:
        pid = _intake_pid()
        await asyncio.sleep(0.05)
    broker = _pid_of(b"kafka.Kafka")
    while True:
        ticks = _ticks(pid)
        ticks["bench"] = sum(os.times()[:2])
        if broker is not None:
            ticks["broker"] = sum(_ticks(broker).values()) - _ticks(broker).get("main runqueue", 0)
        ticks["machine idle"] = _idle()
        samples.append((time.time(), ticks))
        await asyncio.sleep(0.05)


def _cpu_in(samples: list[tuple[float, dict[str, float]]], start: float, end: float) -> str:
    inside = [s for s in samples if start - 0.05 <= s[0] <= end + 0.05]
    if len(inside) < 2:
        return "not sampled"
    (t0, a), (t1, b) = inside[0], inside[-1]
    parts = {k: b[k] - a.get(k, 0.0) for k in b}
    busy = ", ".join(f"{k} {v:.2f}" for k, v in sorted(parts.items(), key=lambda kv: -kv[1]) if v)
    return f"{t1 - t0:.2f} s wall: {busy}"


def main() -> None:
    from services.cli.bench import _as_bench_admin

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    with _as_bench_admin() as settings:
        for _ in range(runs):
            print(asyncio.run(once(settings)), flush=True)


if __name__ == "__main__":
    main()
