"""Start Corridor's processors as real worker processes against the test broker."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.config import PROJECT_ROOT


def worker_env(bootstrap: str, namespace: str, home: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "CORRIDOR_KAFKA_BOOTSTRAP": bootstrap,
        "CORRIDOR_TOPIC_NAMESPACE": namespace,
        "CORRIDOR_STATE_DIR": str(home),
        "CORRIDOR_FAUST_STORE": "memory://",
        # a SIGKILLed worker's partitions move on after this, not after the default minute
        "CORRIDOR_SESSION_TIMEOUT": "8",
        # the log shows what the worker did up to a kill (faust's banner and its rebalances)
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@contextmanager
def worker(service: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m services.<service> worker`, stopped (SIGTERM) when the block ends. If the
    block fails, or the worker does not stop within 60 s, its stacks go to its log first."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}", "worker", "-l", "info"],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield proc
    except BaseException:
        stacks(proc, log)
        raise
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                stacks(proc, log)
                proc.kill()
                proc.wait()


def stacks(proc: subprocess.Popen[bytes], log: Path) -> None:
    """A live worker's threads and tasks, appended to its log: mode's worker prints them on
    SIGUSR1 (if its event loop runs), py-spy (the bench extra) reads them from outside."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGUSR1)
    time.sleep(2)
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if spy is not None:
        with log.open("ab") as out:
            out.write(b"\n--- py-spy dump ---\n")
            out.flush()
            subprocess.run([spy, "dump", "--pid", str(proc.pid)], stdout=out, stderr=out,
                           timeout=30, check=False)  # fmt: skip
