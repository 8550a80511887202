"""Start Corridor's processors as real worker processes against the test broker."""

from __future__ import annotations

import os
import subprocess
import sys
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
        **extra,
    }


@contextmanager
def worker(service: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m services.<service> worker`, stopped (SIGTERM) when the block ends."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}", "worker", "-l", "warn"],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
