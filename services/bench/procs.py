"""Worker processes of a bench: started with their output in a log file, their peak resident
memory read from /proc before they stop; and which code they ran."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from services.config import PROJECT_ROOT, Settings


def code_version() -> dict[str, Any]:
    """The commit a bench measured, and whether tracked files differed from it (other work in
    progress in the same tree: the workers import what the tree holds when they start)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              check=False)  # fmt: skip
        return done.stdout.strip()

    changed = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "--short", "HEAD") or None,
            "uncommitted_changes": bool(changed)}  # fmt: skip


def peak_rss_kib(pid: int, proc: Path = Path("/proc")) -> int | None:
    """The process's peak resident set size (VmHWM) in KiB; None where /proc does not say."""
    try:
        status = (proc / str(pid) / "status").read_text()
    except OSError:
        return None
    return parse_vmhwm(status)


def parse_vmhwm(status: str) -> int | None:
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


@contextmanager
def process(
    argv: list[str], env: dict[str, str], log: Path, peaks: dict[str, int | None], name: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``python argv…`` until the block ends (SIGTERM, then SIGKILL after 60 s); its peak
    RSS goes into ``peaks[name]`` just before it is stopped."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, *argv], cwd=PROJECT_ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        yield proc
    finally:
        peaks[name] = peak_rss_kib(proc.pid) if proc.poll() is None else None
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def workers_namespace(settings: Settings, prefix: str,
                            log_level: str) -> tuple[str, Path, dict[str, str]]:  # fmt: skip
    """A namespace of the bench's own (topics and ACLs, as `corridor up` makes them), a state
    folder for its workers and their environment: memory tables, this stack's partners'
    signing secrets (the workers' state folder is not the stack's)."""
    from services.stack.local import prepare

    ns = f"{prefix}{uuid.uuid4().hex[:8]}"
    await prepare(settings.bootstrap_servers, ns, settings.partners_file,
                  secure=settings.kafka_security != "none")  # fmt: skip
    home = Path(tempfile.mkdtemp(prefix=f"corridor-{prefix}-"))
    env = {**os.environ, "CORRIDOR_KAFKA_BOOTSTRAP": settings.bootstrap_servers,
           "CORRIDOR_TOPIC_NAMESPACE": ns, "CORRIDOR_FAUST_STORE": "memory://",
           "CORRIDOR_STATE_DIR": str(home), "CORRIDOR_LOG_LEVEL": log_level,
           "CORRIDOR_TICK_INTERVAL": str(settings.tick_interval)}  # fmt: skip
    if settings.partner_secrets_file is not None:
        env["CORRIDOR_PARTNER_SECRETS_FILE"] = str(settings.partner_secrets_file.resolve())
    return ns, home, env


@contextmanager
def pipeline_workers(env: dict[str, str], home: Path,
                     peaks: dict[str, int | None]) -> Iterator[tuple[Any, Any]]:  # fmt: skip
    """Intake and the allocator as worker processes, their logs in ``home``."""
    with (
        process(["-m", "services.intake", "worker", "-l", "warn"], env,
                home / "intake.log", peaks, "intake") as intake,
        process(["-m", "services.allocator", "worker", "-l", "warn"], env,
                home / "allocator.log", peaks, "allocator") as allocator,
    ):  # fmt: skip
        yield intake, allocator
