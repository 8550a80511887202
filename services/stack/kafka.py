"""A one-node Apache Kafka (KRaft, broker + controller) from Maven-resolved jars."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from services.config import INFRA_DIR
from services.stack import credentials, process, tls
from services.stack.broker_config import SCRAM, render, scram_arguments, security_lines
from services.stack.errors import StackError

KAFKA_MAIN = "kafka.Kafka"
POM = INFRA_DIR / "kafka" / "pom.xml"
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
    """Files and ports of one local node. All state lives under `home`.

    Secure (the default): every client authenticates with SCRAM-SHA-512 (processors on the
    loopback INTERNAL listener, partners over TLS on the PARTNER listener) and Kafka's
    StandardAuthorizer allows only what an ACL allows. ``partner_names`` are the principals
    besides Corridor's own (services/stack/credentials.py)."""

    home: Path
    jar_cache: Path
    port: int
    controller_port: int
    heap: str = "768m"
    partner_port: int = 9094
    secure: bool = True
    partner_names: tuple[str, ...] = ()

    @property
    def credentials_file(self) -> Path:
        return self.home / "credentials.yaml"

    @property
    def ca_file(self) -> Path:
        return self.home / "tls" / "ca.pem"

    @property
    def partner_bootstrap(self) -> str:
        return f"127.0.0.1:{self.partner_port}"

    def passwords(self) -> dict[str, str]:
        return credentials.ensure(self.credentials_file, credentials.principals(self.partner_names))

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
        internal, partner = f"127.0.0.1:{self.port}", self.partner_bootstrap
        values = {
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{self.controller_port}",
            "listeners": f"INTERNAL://{internal},PARTNER://{partner},"
            f"CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"INTERNAL://{internal},PARTNER://{partner}",
            "log.dirs": str(self.data_dir),
        }
        if not self.secure:
            values["listener.security.protocol.map"] = (
                "CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,PARTNER:PLAINTEXT"
            )
        lines = render(values)
        if self.secure:
            _, broker_pem = tls.ensure_certificates(self.home / "tls")
            lines.extend(security_lines(self.passwords(), broker_pem))
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text("\n".join(lines) + "\n")
        os.chmod(self.config_file, 0o600)  # it holds the broker's and controller's passwords

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
            if not self.secure or self.users_file.exists():
                return
            # formatted before security: its metadata has no SCRAM users. Local data only.
            aside = self.data_dir.with_name(f"data.before-security-{int(time.time())}")
            self.data_dir.rename(aside)
        # A new cluster has empty changelogs: the processors' local table stores (faust's
        # RocksDB, beside this node in the state folder) belong to the old one.
        tables = self.home.parent / "faust"
        if tables.exists():
            tables.rename(tables.with_name(f"faust.before-{int(time.time())}"))
        cluster_id = uuid.uuid4().hex[:22]
        users: list[str] = []
        if self.secure:
            names = credentials.principals(self.partner_names)
            users = scram_arguments(self.passwords(), names)
        result = subprocess.run(
            self._java("kafka.tools.StorageTool", "format", "--standalone",
                       "-t", cluster_id, "-c", str(self.config_file), *users),
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise StackError("Kafka storage format failed: " + result.stderr.strip()[-300:])
        if self.secure:
            self.users_file.write_text("\n".join(credentials.principals(self.partner_names)) + "\n")

    @property
    def users_file(self) -> Path:
        """The SCRAM users the broker knows (added at format, or later by `add_users`)."""
        return self.home / "scram-users.txt"

    def add_users(self) -> list[str]:
        """Give the running broker a SCRAM user for every principal it lacks (a partner added to
        the registry after the node was formatted): Kafka's own ConfigCommand, as admin."""
        if not self.secure:
            return []
        known = set(self.users_file.read_text().split()) if self.users_file.exists() else set()
        missing = [n for n in credentials.principals(self.partner_names) if n not in known]
        if not missing:
            return []
        pw = self.passwords()
        admin_config = self.home / "admin.properties"
        admin_config.write_text(
            "security.protocol=SASL_PLAINTEXT\n"
            f"sasl.mechanism={SCRAM}\n"
            "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required"
            f' username="{credentials.ADMIN}" password="{pw[credentials.ADMIN]}";\n'
        )
        os.chmod(admin_config, 0o600)
        for name in missing:
            result = subprocess.run(
                self._java("kafka.admin.ConfigCommand", "--bootstrap-server",
                           f"127.0.0.1:{self.port}", "--command-config", str(admin_config),
                           "--alter", "--add-config", f"{SCRAM}=[password={pw[name]}]",
                           "--entity-type", "users", "--entity-name", name),
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if result.returncode != 0:
                raise StackError(f"adding Kafka user {name} failed: {result.stderr.strip()[-300:]}")
            known.add(name)
            self.users_file.write_text("\n".join(sorted(known)) + "\n")
        return missing

    def start(self, *, timeout: float = 90.0) -> bool:
        """Start the node unless it runs. Returns True when this call started it."""
        if self.pid() is not None:
            return False
        self.ensure_jars()  # first: without Maven or Java nothing else matters
        for port, setting in ((self.port, "CORRIDOR_KAFKA_PORT"),
                              (self.controller_port, "CORRIDOR_KAFKA_CONTROLLER_PORT"),
                              (self.partner_port, "CORRIDOR_KAFKA_PARTNER_PORT")):  # fmt: skip
            if process.port_open("127.0.0.1", port):
                raise StackError(f"port {port} is taken by another process: set {setting}")
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
