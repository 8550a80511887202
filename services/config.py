"""One place for configuration: `CORRIDOR_*` environment variables, read by pydantic-settings."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INFRA_DIR = PROJECT_ROOT / "infra"


def processor_id(service: str, namespace: str = "") -> str:
    """A processor's faust app id and consumer group: ``corridor-<service>[-<namespace>]``."""
    return f"corridor-{service}" + (f"-{namespace}" if namespace else "")


class Settings(BaseSettings):
    """Settings shared by every Corridor process.

    Every field can be set as `CORRIDOR_<FIELD>` in the environment (or a `.env` file).
    """

    model_config = SettingsConfigDict(env_prefix="CORRIDOR_", env_file=".env", extra="ignore")

    state_dir: Path = Field(
        default=PROJECT_ROOT / ".corridor",
        description="Where the local Kafka and PostgreSQL keep their data, logs and pid files.",
    )
    jar_cache: Path = Field(
        default=Path.home() / ".cache" / "corridor" / "kafka",
        description="Where Maven copies the Kafka broker jars (outside the repository).",
    )
    kafka_port: int = Field(default=9092, ge=1, le=65535)
    kafka_controller_port: int = Field(default=9093, ge=1, le=65535)
    kafka_heap: str = "768m"
    kafka_bootstrap: str | None = Field(
        default=None,
        description="Use an existing Kafka cluster instead of the local one (host:port,...).",
    )
    kafka_partner_port: int = Field(
        default=9094, ge=1, le=65535, description="The local broker's TLS listener for partners."
    )
    kafka_security: Literal["sasl_ssl", "none"] = Field(
        default="sasl_ssl",
        description="sasl_ssl: every client authenticates (SCRAM-SHA-512; TLS for partners) and"
        " ACLs decide; none: an open broker (only for an existing cluster that is set up so).",
    )
    kafka_partner_bootstrap: str | None = Field(
        default=None,
        description="Where partners connect over TLS (default: the local TLS listener, or"
        " CORRIDOR_KAFKA_BOOTSTRAP for an existing cluster).",
    )
    kafka_internal_tls: bool = Field(
        default=False,
        description="Whether Corridor's own processes use TLS too (an existing cluster whose"
        " only listener is SASL_SSL); the local one has a loopback SASL listener for them.",
    )
    kafka_user: str | None = Field(
        default=None,
        description="The principal of a tool process (`corridor` commands: operator; tests:"
        " admin). Processors always use their own.",
    )
    kafka_credentials_file: Path | None = Field(
        default=None,
        description="Passwords of the broker's principals (default: the local node's, made by"
        " `corridor up`); CORRIDOR_KAFKA_PASSWORD_<PRINCIPAL> overrides one.",
    )
    kafka_ca_file: Path | None = Field(
        default=None, description="CA certificate clients trust (default: the local node's)."
    )
    postgres_port: int = Field(default=54329, ge=1, le=65535)
    database_url: SecretStr | None = Field(
        default=None,
        description="Use an existing PostgreSQL server instead of the embedded one.",
    )
    database_name: str = "corridor"
    topic_namespace: str = Field(
        default="",
        description="Prefix for every topic name; tests use a fresh one per test.",
    )
    log_level: str = "INFO"

    faust_store: str = Field(
        default="rocksdb://",
        description="Table store of the stream processors (tests use memory://).",
    )
    tick_interval: float = Field(
        default=1.0, gt=0, le=3600, description="Seconds between RegionTicks in every region log."
    )
    late_after: float = Field(
        default=60.0,
        gt=0,
        description="`corridor run` says a processor is behind once a record has waited for it"
        " this many seconds without progress (and again when it makes progress again).",
    )
    late_every: float = Field(
        default=15.0, gt=0, description="Seconds between `corridor run`'s looks at the backlogs."
    )
    escalator_snapshot_every: float = Field(
        default=60.0,
        ge=0,
        description="Seconds between snapshots of an escalator worker's folds (in the state"
        " folder; a restarted worker folds the region log from there, not from offset 0). 0:"
        " after every commit.",
    )
    session_timeout: float = Field(
        default=10.0,
        ge=6,
        description="Seconds before a silent worker's partitions move on: a worker restarted"
        " after a crash waits this long for its dead predecessor's session (faust heartbeats"
        " every third of it, at most every 3 s).",
    )
    group_instance_id: str | None = Field(
        default=None,
        description="Kafka static membership (group.instance.id): a name for this worker,"
        " stable across its restarts and unique among the workers of one processor; a worker"
        " restarted under the same name takes its partitions back at once, without waiting out"
        " the session. Default: one per host and free slot (services/membership.py); `none`:"
        " dynamic membership.",
    )
    ledger_batch: int = Field(
        default=2000,
        ge=1,
        le=100_000,
        description="Most messages the ledger writes per transaction.",
    )
    partners_file: Path = INFRA_DIR / "registry" / "partners.yaml"
    partner_secrets_file: Path | None = Field(
        default=None,
        description="YAML 'partner_id: secret'. Default: the state folder's"
        " partners/signing-secrets.yaml, generated by `corridor up` for every registry partner"
        " (development); CORRIDOR_PARTNER_SECRET_<ID> overrides one.",
    )
    regions_file: Path | None = None

    opscentre_host: str = Field(default="127.0.0.1", description="Opscentre listen address.")
    opscentre_port: int = Field(default=8765, ge=1, le=65535, description="Opscentre HTTP port.")
    opscentre_operator_token: SecretStr | None = Field(
        default=None,
        description="Bearer token of operations officers; no default: opscentre refuses to start"
        " without one (`corridor run` generates a development token in the state folder).",
    )

    gateway_host: str = Field(default="127.0.0.1", description="HTTP gateway listen address.")
    gateway_port: int = Field(default=8766, ge=1, le=65535, description="HTTP gateway port.")
    gateway_answer_within: float = Field(
        default=10.0, gt=0, le=120,
        description="Seconds a partner's request waits for the broker before a 503 (aiokafka's"
        " 40 s would outlast many HTTP clients' timeouts).",
    )  # fmt: skip
    gateway_rate: float = Field(
        default=10.0, gt=0, le=10_000, description="Events a partner may post per second (HTTP)."
    )
    gateway_burst: int = Field(
        default=50, ge=1, le=100_000, description="Events a partner may post at once (HTTP)."
    )

    @property
    def signing_secrets_default(self) -> Path:
        return self.state_dir / "partners" / "signing-secrets.yaml"

    @model_validator(mode="after")
    def _generated_signing_secrets(self) -> Settings:
        """No file named: the state folder's generated one, once `corridor up` has made it."""
        if self.partner_secrets_file is None and self.signing_secrets_default.exists():
            self.partner_secrets_file = self.signing_secrets_default
        return self

    @cached_property
    def bootstrap_servers(self) -> str:
        return self.kafka_bootstrap or f"127.0.0.1:{self.kafka_port}"

    @property
    def partner_bootstrap(self) -> str:
        """Where partners connect: the TLS listener (an existing cluster: its bootstrap)."""
        if self.kafka_partner_bootstrap:
            return self.kafka_partner_bootstrap
        return self.kafka_bootstrap or f"127.0.0.1:{self.kafka_partner_port}"

    @property
    def credentials_file(self) -> Path:
        return self.kafka_credentials_file or self.state_dir / "kafka" / "credentials.yaml"

    @property
    def ca_file(self) -> Path:
        return self.kafka_ca_file or self.state_dir / "kafka" / "tls" / "ca.pem"

    @property
    def uses_local_kafka(self) -> bool:
        return self.kafka_bootstrap is None

    @property
    def uses_embedded_postgres(self) -> bool:
        return self.database_url is None

    def dsn(self) -> str:
        """The PostgreSQL connection string every process uses."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"postgresql://postgres@127.0.0.1:{self.postgres_port}/{self.database_name}"
