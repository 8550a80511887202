"""`corridor run` stops its workers: a worker that ignores SIGTERM is killed after the grace."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest
from rich.console import Console

from services import run


async def _started(code: str) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", code,
                                                stdout=asyncio.subprocess.PIPE)  # fmt: skip
    assert proc.stdout is not None
    await proc.stdout.readline()  # its handler is installed
    return proc


async def test_a_worker_that_does_not_stop_is_killed(monkeypatch, capsys) -> None:
    monkeypatch.setattr(run, "STOP_GRACE_S", 0.5)
    proc = await _started(
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print(1, flush=True);"
        " time.sleep(600)"
    )
    proc.terminate()
    code = await run._stopped(proc, "allocator", Console())
    assert code == -signal.SIGKILL
    assert "allocator did not stop within 0.5 s: killed" in capsys.readouterr().out


async def test_a_worker_that_stops_keeps_its_exit_code(monkeypatch) -> None:
    monkeypatch.setattr(run, "STOP_GRACE_S", 30.0)
    proc = await _started(
        "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(3));"
        " print(1, flush=True); time.sleep(600)"
    )
    proc.terminate()
    assert await run._stopped(proc, "intake", Console()) == 3


pytestmark = pytest.mark.asyncio
