"""Decisions do not depend on the process: the same log replayed in fresh interpreters with
different hash seeds (set and dict order of strings) gives the same bytes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.unit.test_allocator_golden import GOLDEN

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
from services.bench.workload import Workload
from tests.unit.test_allocator_golden import _digest, _lifecycle
print(*_digest(Workload().events()), *_digest(_lifecycle()))
"""


def _run(seed: str) -> list[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True, timeout=60,
    )  # fmt: skip
    return out.stdout.split()


def test_replays_in_processes_with_different_hash_seeds_agree() -> None:
    one, two = _run("1"), _run("2")
    assert one == two
    assert one == [*GOLDEN["default"], *GOLDEN["lifecycle"]]
