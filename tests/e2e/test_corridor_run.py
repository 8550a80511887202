"""`corridor run` (what `make run` starts), on the test broker and database: every processor
starts, a worker killed from outside is started again (services/supervisor.py), and Ctrl-C
stops them all with exit code 0."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from services.config import PROJECT_ROOT
from services.stack import process
from services.stack.local import prepare
from tests.integration.workers import worker_env

PROCESSORS = ("intake", "allocator", "escalator", "ledger", "gateway", "opscentre")


def children(parent: int) -> dict[int, str]:
    """pid → command line of the processes whose parent is ``parent``."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
                found[int(stat.parent.name)] = cmdline.decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    return found


async def worker_of(parent: int, name: str, other_than: int = 0, within: float = 60) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        for pid, cmdline in children(parent).items():
            if f"services.{name} worker" in cmdline and pid != other_than:
                return pid
        await asyncio.sleep(0.2)
    raise AssertionError(f"no {name} worker under {parent} within {within} s")


@pytest.mark.timeout(300)
async def test_corridor_run_starts_a_killed_worker_again_and_stops_on_ctrl_c(
    kafka_bootstrap: str, database_url: str, namespace: str, tmp_path: Path
) -> None:
    await prepare(kafka_bootstrap, namespace)
    env = worker_env(kafka_bootstrap, namespace, tmp_path / "state",
                     CORRIDOR_DATABASE_URL=database_url,
                     CORRIDOR_GATEWAY_PORT=str(process.free_port()),
                     CORRIDOR_OPSCENTRE_PORT=str(process.free_port()),
                     CORRIDOR_LATE_AFTER="5", CORRIDOR_LATE_EVERY="1")  # fmt: skip
    run = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "run", cwd=PROJECT_ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert run.stdout is not None
    said: list[str] = []

    async def read() -> None:  # drain its output (the live table) and keep the lines
        assert run.stdout is not None
        async for line in run.stdout:
            said.append(line.decode(errors="replace"))

    reading = asyncio.create_task(read())
    try:
        started = {name: await worker_of(run.pid, name) for name in PROCESSORS}
        os.kill(started["allocator"], signal.SIGKILL)
        again = await worker_of(run.pid, "allocator", other_than=started["allocator"])
        assert any("allocator stopped (killed by signal 9): starting it again in 1 s" in line
                   for line in said), "".join(said)[-2000:]  # fmt: skip
        # a worker alive but stuck (stopped): its backlog grows, `corridor run` says so; and
        # says when it makes progress again (the region log gets every region's tick each second)
        os.kill(started["escalator"], signal.SIGSTOP)
        try:
            await said_line(said, "escalator is behind, no progress for ", within=60)
        finally:
            os.kill(started["escalator"], signal.SIGCONT)
        await said_line(said, "escalator makes progress again: ", within=90)
        run.send_signal(signal.SIGINT)  # Ctrl-C
        assert await asyncio.wait_for(run.wait(), 120) == 0
    finally:
        if run.returncode is None:
            run.kill()
            await run.wait()
        await asyncio.wait_for(reading, 30)
    assert [pid for pid in [*started.values(), again] if running(pid)] == []


async def said_line(said: list[str], start: str, within: float) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        for line in said:
            if line.startswith(start):
                return line
        await asyncio.sleep(0.2)
    raise AssertionError(f"no line {start!r} within {within} s: " + "".join(said)[-2000:])


def running(pid: int) -> bool:
    """Whether ``pid`` still runs (`corridor run` waits for its workers: none may be left)."""
    return Path(f"/proc/{pid}").exists()
