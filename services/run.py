"""`corridor run`: the stack, the processors, and (with --demo) a scenario played by partners.

The processors run as child processes; the terminal shows one line per allocation decision.
Ctrl-C stops the processors; Kafka and PostgreSQL keep running until `corridor down`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys

from aiokafka import AIOKafkaConsumer

from schemas.catalogue import ALLOCATION_DECISIONS, topic_name
from schemas.codec import decode, payload_of
from schemas.outputs import AllocationDecision
from services.config import PROJECT_ROOT, Settings
from services.opscentre.devtoken import dev_operator_token
from services.publish import encode, partner_event, secrets, send

PROCESSORS = ("intake", "allocator", "ledger")


def summary(decision: AllocationDecision) -> str:
    """One line an operator can read at 3 a.m.: who goes where, who waits and why."""
    placed = sum(p.persons for p in decision.placements)
    waiting = sum(w.persons for w in decision.waitlisted)
    pending = sum(p.transport_pending for p in decision.placements)
    shelters = sorted({p.shelter_id for p in decision.placements})
    reasons = sorted({w.reason.value for w in decision.waitlisted})
    what = f"alert {decision.alert_id}" if decision.alert_id else "from the waitlist"
    line = f"{decision.region_pcode} {what}: {placed} people placed"
    if shelters:
        line += f" in {', '.join(shelters[:4])}{'…' if len(shelters) > 4 else ''}"
    if pending:
        line += f"; {pending} household{'s wait' if pending > 1 else ' waits'} for transport"
    if waiting:
        line += f"; {waiting} people waitlisted ({', '.join(reasons)})"
    return line


async def _watch(settings: Settings) -> None:
    consumer = AIOKafkaConsumer(
        topic_name(ALLOCATION_DECISIONS, settings.topic_namespace),
        bootstrap_servers=settings.bootstrap_servers,
        auto_offset_reset="latest",
    )
    await consumer.start()
    try:
        async for record in consumer:
            decision = payload_of(decode(record.value))
            if isinstance(decision, AllocationDecision):
                print(summary(decision), flush=True)
    finally:
        await consumer.stop()


async def _demo(settings: Settings, delay: float) -> None:
    from services.simulator.scenario import flood

    await asyncio.sleep(delay)  # let the workers join their groups
    keys = secrets(settings)
    messages = [
        encode(partner_event(data, topic=topic, partner_id=partner, secret=keys[partner]),
               topic=topic)
        for topic, partner, data in flood()
    ]  # fmt: skip
    await send(messages, settings)
    print(f"demo: {len(messages)} partner messages sent (DTM sites, DGPC centres, Red Cross"
          " minibuses, displacement alerts)", flush=True)  # fmt: skip


async def _opscentre(settings: Settings, env: dict[str, str]) -> asyncio.subprocess.Process:
    """The API and dashboard; without a configured operator token, a development one is made
    in the state folder and printed in the dashboard's URL (the fragment stays in the browser)."""
    url = f"http://127.0.0.1:{settings.opscentre_port}/"
    if settings.opscentre_operator_token is None:
        token = dev_operator_token(settings.state_dir)
        env = {**env, "CORRIDOR_OPSCENTRE_OPERATOR_TOKEN": token}
        url += f"#token={token}"
    print(f"dashboard: {url}", flush=True)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.opscentre", "worker", cwd=PROJECT_ROOT, env=env
    )


async def run(settings: Settings, *, demo: bool) -> int:
    # The terminal shows decisions; the processors' own logs only from warnings up.
    env = {**os.environ, "CORRIDOR_LOG_LEVEL": os.environ.get("CORRIDOR_LOG_LEVEL", "WARNING")}
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            f"services.{name}",
            "worker",
            "-l",
            "warn",
            cwd=PROJECT_ROOT,
            env=env,
        )
        for name in PROCESSORS
    ]
    workers.append(await _opscentre(settings, env))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(_watch(settings))]
    if demo:
        tasks.append(asyncio.create_task(_demo(settings, delay=8.0)))
    exits = [asyncio.create_task(w.wait()) for w in workers]
    await asyncio.wait([asyncio.create_task(stop.wait()), *exits], return_when="FIRST_COMPLETED")
    for task in tasks:
        task.cancel()
    for worker in workers:
        if worker.returncode is None:
            worker.terminate()
    codes = [await w.wait() for w in workers]
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return 0 if stop.is_set() else max(codes)
