"""`corridor run`: the stack, the processors, and (with --demo) a scenario played by partners.

The processors run as child processes whose logs go to files in the state folder (named once at
start); the terminal shows one line per allocation decision and per escalation, and a live table
of the situation per region. A processor that exits on its own is started again
(services/supervisor.py). Ctrl-C stops the processors; Kafka and PostgreSQL keep running until
`corridor down`.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from aiokafka import AIOKafkaConsumer
from rich.console import Console
from rich.live import Live

from schemas.catalogue import ALLOCATION_DECISIONS, ESCALATION_EVENTS, topic_name
from schemas.codec import decode, payload_of
from schemas.errors import CodecError
from schemas.outputs import AllocationDecision, EscalationEvent
from services.config import PROJECT_ROOT, Settings
from services.console import Situation
from services.kafka_access import connect
from services.lines import escalation_line
from services.opscentre.devtoken import dev_operator_token
from services.publish import encode, partner_event, secrets, send
from services.stack.backlog import Late, current
from services.supervisor import Restarts, Supervised

PROCESSORS = ("intake", "allocator", "escalator", "ledger", "gateway")


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


async def _watch(settings: Settings, console: Console) -> None:
    ns = settings.topic_namespace
    consumer = AIOKafkaConsumer(
        topic_name(ALLOCATION_DECISIONS, ns), topic_name(ESCALATION_EVENTS, ns),
        **connect(settings.bootstrap_servers, settings=settings), auto_offset_reset="latest",
    )  # fmt: skip
    situation = Situation()
    await consumer.start()
    try:
        with Live(situation.table(), console=console, refresh_per_second=2) as live:
            async for record in consumer:
                try:
                    event = payload_of(decode(record.value))
                except CodecError as exc:
                    console.print(f"unreadable message on {record.topic}: {exc.message}")
                    continue
                if isinstance(event, AllocationDecision):
                    situation.decided(event)
                    console.print(summary(event), markup=False, highlight=False)
                elif isinstance(event, EscalationEvent):
                    situation.escalated(event)
                    console.print(escalation_line(event), markup=False, highlight=False)
                live.update(situation.table())
    finally:
        await consumer.stop()


async def _late(settings: Settings, console: Console, logs: Path) -> None:
    """Say when a processor falls behind (records have waited ``late_after`` s for it with no
    progress) and when it makes progress again: a worker alive but stuck is what the supervisor
    cannot see."""
    late, unknown = Late(settings.late_after), False
    while True:
        await asyncio.sleep(settings.late_every)
        try:
            found = await current(settings)
        except Exception as exc:  # the broker or the database restarting: look again later
            if not unknown:
                console.print(f"backlogs unknown for now: {type(exc).__name__}: {exc}")
            unknown = True
            continue
        unknown = False
        for processor, line in late.lines(found, datetime.now(UTC)):
            see = f"; see {logs / processor}.log" if processor in late.behind else ""
            console.print(line + see, markup=False, highlight=False, soft_wrap=True)


async def _demo(settings: Settings, console: Console, delay: float) -> None:
    from services.simulator.scenario import flood

    await asyncio.sleep(delay)  # let the workers join their groups
    keys = secrets(settings)
    sent = 0
    for partner, run in itertools.groupby(flood(), key=lambda message: message[1]):
        messages = [
            encode(partner_event(data, topic=topic, partner_id=partner, secret=keys[partner]),
                   topic=topic)
            for topic, _, data in run
        ]  # fmt: skip
        await send(messages, settings, as_partner=partner)  # each partner as itself
        sent += len(messages)
    console.print(f"demo: {sent} partner messages sent (DTM sites, DGPC centres, Red"
                  " Cross minibuses, displacement alerts, a CAP cyclone warning)")  # fmt: skip


async def _start(name: str, env: dict[str, str], logs: Path) -> asyncio.subprocess.Process:
    """A processor as a child process, its output (logs, banners) in ``logs/<name>.log``."""
    out: IO[bytes]
    with (logs / f"{name}.log").open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", f"services.{name}", "worker", "-l", "info",
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL,
        )  # fmt: skip


def _log_folder(settings: Settings) -> Path:
    """This run's log folder; the run's own library warnings (aiokafka) go there too."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    logs = settings.state_dir / "logs" / f"run-{stamp}"
    logs.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=logs / "corridor-run.log", level=logging.WARNING, force=True)
    return logs


def _opscentre_env(settings: Settings, env: dict[str, str]) -> dict[str, str]:
    """The API and dashboard's environment; without a configured operator token, a development
    one is made in the state folder and printed in the dashboard's URL (the fragment stays in
    the browser)."""
    url = f"http://127.0.0.1:{settings.opscentre_port}/"
    if settings.opscentre_operator_token is None:
        token = dev_operator_token(settings.state_dir)
        env = {**env, "CORRIDOR_OPSCENTRE_OPERATOR_TOKEN": token}
        url += f"#token={token}"
    print(f"dashboard: {url}", flush=True)
    return env


async def run(settings: Settings, *, demo: bool) -> int:
    """Runs until Ctrl-C (exit 0): a worker that exits on its own is started again, however
    often (services/supervisor.py)."""
    console = Console(highlight=False)
    logs = _log_folder(settings)
    console.print(f"logs: {logs}/<processor>.log", markup=False)
    env = {**os.environ, "CORRIDOR_LOG_LEVEL": os.environ.get("CORRIDOR_LOG_LEVEL", "INFO")}
    print(f"gateway: http://127.0.0.1:{settings.gateway_port}/v1/events", flush=True)
    envs = {**dict.fromkeys(PROCESSORS, env), "opscentre": _opscentre_env(settings, env)}
    processors = [
        Supervised(name, functools.partial(_start, name, each, logs), logs, Restarts())
        for name, each in envs.items()
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    keepers = [asyncio.create_task(p.keep(stop, console)) for p in processors]
    tasks = [asyncio.create_task(_watch(settings, console)),
             asyncio.create_task(_late(settings, console, logs))]  # fmt: skip
    if demo:
        tasks.append(asyncio.create_task(_demo(settings, console, delay=8.0)))
    await asyncio.wait([asyncio.create_task(stop.wait()), *keepers], return_when="FIRST_COMPLETED")
    stopped_by_hand = stop.is_set()
    stop.set()  # no more restarts
    for task in tasks:
        task.cancel()
    for p in processors:
        if p.process is not None and p.process.returncode is None:
            p.process.terminate()
    for p in processors:
        if p.process is not None:
            await _stopped(p.process, p.name, console)
    for outcome in await asyncio.gather(*keepers, *tasks, return_exceptions=True):
        if isinstance(outcome, Exception):  # a keeper that ended on its own: a bug, say it
            console.print(f"corridor run: {type(outcome).__name__}: {outcome}", markup=False)
    return 0 if stopped_by_hand else 1


STOP_GRACE_S = 60.0  # a worker finishes its batch and commits in about a second


async def _stopped(worker: asyncio.subprocess.Process, name: str, console: Console) -> int:
    """A worker's exit code once it stopped; killed if it has not after STOP_GRACE_S (its
    partitions are then read again from the committed offsets by the next worker)."""
    try:
        return await asyncio.wait_for(worker.wait(), STOP_GRACE_S)
    except TimeoutError:
        console.print(f"{name} did not stop within {STOP_GRACE_S:g} s: killed", markup=False)
        worker.kill()
        return await worker.wait()
