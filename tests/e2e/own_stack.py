"""A Corridor stack of a test's own (`corridor up` in a fresh state folder, on free ports), for
the tests that must stop its broker or look at its processes: the suite's shared broker and
database cannot be stopped."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from services.stack import process

CORRIDOR = [sys.executable, "-m", "services.cli"]


def corridor(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CORRIDOR, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def processes_under(folder: Path) -> list[str]:
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(folder) in cmdline and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(cmdline[:120])
    return found


@pytest.fixture
def stack_env() -> Iterator[tuple[dict[str, str], Path]]:
    state = Path(tempfile.mkdtemp(prefix="corridor-cli-"))
    # a stack of its own, as on a fresh clone: none of the test broker's credentials
    # and no signing secrets: `corridor up` generates them, as on a fresh clone
    inherited = {k: v for k, v in os.environ.items()
                 if not k.startswith(("CORRIDOR_KAFKA_", "CORRIDOR_PARTNER_SECRET"))}  # fmt: skip
    env = {
        **inherited,
        "CORRIDOR_STATE_DIR": str(state),
        "CORRIDOR_KAFKA_PORT": str(process.free_port()),
        "CORRIDOR_KAFKA_PARTNER_PORT": str(process.free_port()),
        "CORRIDOR_KAFKA_CONTROLLER_PORT": str(process.free_port()),
        "CORRIDOR_POSTGRES_PORT": str(process.free_port()),
        "CORRIDOR_KAFKA_HEAP": "512m",
    }
    yield env, state
    corridor("down", env=env)
    shutil.rmtree(state, ignore_errors=True)
