"""A one-node Apache Kafka (KRaft, broker + controller) from Maven-resolved jars."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from services.config import INFRA_DIR
from services.stack import process
from services.stack.errors import StackError

KAFKA_MAIN = "kafka.Kafka"
POM = INFRA_DIR / "kafka" / "pom.xml"
TEMPLATE = INFRA_DIR / "kafka" / "server.properties"
LOG4J = INFRA_DIR / "kafka" / "log4j2.yaml"


def kafka_version() -> str:
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", POM.read_text())
    if match is None:  # pragma: no cover - the pom is ours
        raise StackError(f"{POM} does not declare <kafka.version>")
    return match.group(1)


def require(tool: str, what: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise StackError(f"{tool} not found on PATH: install {what} to run the local Kafka broker")
    return path


def java_major(java: str) -> int:
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match is None:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


@dataclass(frozen=True)
class KafkaNode:
    """Files and ports of one local node. All state lives under `home`."""

    home: Path
    jar_cache: Path
    port: int
    controller_port: int
    heap: str = "768m"

    @property
    def libs(self) -> Path:
        return self.jar_cache / kafka_version() / "libs"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def pid_file(self) -> Path:
        return self.home / "kafka.pid"

    @property
    def config_file(self) -> Path:
        return self.home / "server.properties"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def pid(self) -> int | None:
        return process.read_pid(self.pid_file, KAFKA_MAIN)

    def ensure_jars(self) -> None:
        """Resolve the broker jars with Maven once; later starts reuse the cache."""
        if (self.libs / ".complete").exists():
            return
        mvn = require("mvn", "Maven (apt-get install maven)")
        self.libs.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [
                mvn,
                "-q",
                "-B",
                "-f",
                str(POM),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={self.libs}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            tail = (result.stdout + result.stderr).strip().splitlines()[-5:]
            raise StackError("Maven could not resolve the Kafka jars: " + " | ".join(tail))
        (self.libs / ".complete").write_text(kafka_version() + "\n")

    def write_config(self) -> None:
        values = {
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},"
            f"CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "log.dirs": str(self.data_dir),
        }
        lines = []
        for line in TEMPLATE.read_text().splitlines():
            key = line.split("=", 1)[0].strip()
            lines.append(f"{key}={values[key]}" if key in values and "=" in line else line)
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text("\n".join(lines) + "\n")

    def _java(self, main: str, *args: str) -> list[str]:
        java = require("java", "Java 17 or newer (apt-get install openjdk-17-jre-headless)")
        if java_major(java) < 17:
            raise StackError(f"{java} is older than Java 17: Kafka 4 needs Java 17 or newer")
        return [
            java, "-Xms256m", f"-Xmx{self.heap}", "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={self.home / 'logs'}",
            f"-Dlog4j2.configurationFile={LOG4J}",
            "-cp", f"{self.libs}/*", main, *args,
        ]  # fmt: skip

    def format_storage(self) -> None:
        """Format the KRaft metadata log once (a formatted node keeps its meta.properties)."""
        if (self.data_dir / "meta.properties").exists():
            return
        cluster_id = uuid.uuid4().hex[:22]
        result = subprocess.run(
            self._java("kafka.tools.StorageTool", "format", "--standalone",
                       "-t", cluster_id, "-c", str(self.config_file)),
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise StackError("Kafka storage format failed: " + result.stderr.strip()[-300:])

    def start(self, *, timeout: float = 90.0) -> bool:
        """Start the node unless it runs. Returns True when this call started it."""
        if self.pid() is not None:
            return False
        for port in (self.port, self.controller_port):
            if process.port_open("127.0.0.1", port):
                raise StackError(
                    f"port {port} is taken by another process: set CORRIDOR_KAFKA_PORT"
                )
        self.ensure_jars()
        self.write_config()
        self.format_storage()
        pid = process.spawn(
            self._java(KAFKA_MAIN, str(self.config_file)),
            pid_file=self.pid_file,
            log_file=self.home / "logs" / "stdout.log",
        )
        if not process.wait_for_port("127.0.0.1", self.port, timeout=timeout):
            process.terminate(pid)
            raise StackError(f"Kafka did not listen within {timeout:.0f}s: see {self.home}/logs")
        return True

    def stop(self) -> bool:
        pid = self.pid()
        if pid is None:
            return False
        process.terminate(pid, timeout=60)
        deadline = time.monotonic() + 10
        while process.port_open("127.0.0.1", self.port) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.pid_file.unlink(missing_ok=True)
        return True
