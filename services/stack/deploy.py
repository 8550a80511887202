"""The secrets and broker configuration of the compose deployment (docker-compose.yml).

``corridor compose-init --out /secrets`` (the compose ``init`` service) writes, once, into the
``secrets`` volume::

  kafka/            server.properties (the local node's, with the container's listeners),
                    start.sh (formats a new node with the first SCRAM users, then starts it),
                    tls/ (the CA and the broker's key and chain), client.properties (the
                    health check logs in as the broker principal)
  <principal>/      credentials.yaml with that principal's password only, and ca.pem: one
                    folder per processor, ``admin`` (the set-up) and ``operator``; the
                    processors that check signatures also get signing-secrets.yaml
  partners/<id>/    what to hand partner <id>: its broker password, its signing secret, ca.pem
  signing/          every partner's signing secret (generated like the passwords)

The same security as the local node (``broker_config.security_lines``): SCRAM-SHA-512 on every
listener, TLS where partners connect, StandardAuthorizer with no ACL → denied. Files that exist
are kept, so re-running the init service changes nothing; passwords are generated, never
committed. Each container mounts only its own folder (a volume ``subpath``).
"""

from __future__ import annotations

import os
import shlex
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from services.registry.secrets import ensure_file
from services.stack import credentials, tls
from services.stack.broker_config import render, scram_arguments, security_lines

CLIENT_FOLDERS = (credentials.ADMIN, credentials.OPERATOR, *credentials.PROCESSORS)
SIGNING_READERS = ("intake", "escalator", "opscentre", "gateway")
"""Processors that check partners' signatures, or derive partner tokens from them."""


def _private(path: Path, text: str, uid: int | None) -> None:
    if not path.exists():
        path.write_text(text)
    os.chmod(path, 0o600)
    if uid is not None:
        os.chown(path, uid, uid)


@dataclass(frozen=True)
class Layout:
    """Where the kafka container keeps things. The defaults are the apache/kafka image's; the
    test of this module runs the same files from the Maven jars with its own paths and ports."""

    kafka_home: str = "/opt/kafka"
    data_dir: str = "/var/lib/kafka/data"
    mount: str = "/secrets/kafka"  # where the kafka container sees its folder of the volume
    bind: str = "0.0.0.0"  # noqa: S104  # in the container; compose publishes the partner port only
    ports: tuple[int, int, int] = (9092, 9093, 9094)  # internal, controller, partner


def broker_properties(
    passwords: dict[str, str], broker_host: str, partner_address: str, at: Layout = Layout()
) -> str:
    """server.properties of the kafka container: processors on INTERNAL (the compose network,
    never published), partners on PARTNER over TLS, the controller on the container's loopback."""
    internal, controller, partner = at.ports
    values = {
        "controller.quorum.bootstrap.servers": f"localhost:{controller}",
        "listeners": f"INTERNAL://{at.bind}:{internal},PARTNER://{at.bind}:{partner},"
        f"CONTROLLER://localhost:{controller}",
        "advertised.listeners": f"INTERNAL://{broker_host}:{internal},PARTNER://{partner_address}",
        "log.dirs": at.data_dir,
    }
    lines = render(values) + security_lines(passwords, f"{at.mount}/tls/broker.pem")
    return "\n".join(lines) + "\n"


def start_script(passwords: dict[str, str], names: Iterable[str], at: Layout = Layout()) -> str:
    """Format a new node with its first SCRAM users (the cluster id is made once), then start."""
    users = " ".join(shlex.quote(a) for a in scram_arguments(passwords, tuple(names)))
    bin_ = f"{at.kafka_home}/bin"
    return "\n".join([
        "#!/bin/sh",
        "# Written by `corridor compose-init`: the kafka service's entrypoint.",
        "set -eu",
        f"if [ ! -f {at.data_dir}/meta.properties ]; then",
        f"  {bin_}/kafka-storage.sh format --standalone -t {uuid.uuid4().hex[:22]}"
        f" -c {at.mount}/server.properties {users}",
        "fi",
        f"exec {bin_}/kafka-server-start.sh {at.mount}/server.properties",
        "",
    ])  # fmt: skip


def client_properties(passwords: dict[str, str], broker: str = credentials.BROKER) -> str:
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule required"
    return (
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n"
        f'sasl.jaas.config={scram} username="{broker}" password="{passwords[broker]}";\n'
    )


def write(
    out: Path,
    partner_names: Iterable[str],
    *,
    broker_host: str = "kafka",
    partner_address: str = "localhost:9094",
    kafka_uid: int | None = None,
    client_uid: int | None = None,
    at: Layout = Layout(),
) -> list[Path]:
    """Every file of the deployment's secrets volume (kept where present). The uids give each
    folder to the user its container runs as (the init service runs as root to do so)."""
    partners = tuple(sorted(partner_names))
    names = credentials.principals(partners)
    kafka = out / "kafka"
    kafka.mkdir(parents=True, exist_ok=True)
    passwords = credentials.ensure(kafka / "credentials.yaml", names)
    partner_host = partner_address.rpartition(":")[0]
    ca_file, _ = tls.ensure_certificates(kafka / "tls", hosts=(broker_host, partner_host))
    config = broker_properties(passwords, broker_host, partner_address, at)
    _private(kafka / "server.properties", config, kafka_uid)
    _private(kafka / "start.sh", start_script(passwords, names, at), kafka_uid)
    _private(kafka / "client.properties", client_properties(passwords), kafka_uid)
    signing = ensure_file(out / "signing" / "signing-secrets.yaml", partners)
    folders = [(n, {n: passwords[n]}, client_uid) for n in CLIENT_FOLDERS]
    folders += [(f"partners/{p}", {p: passwords[p]}, None) for p in partners]
    for folder, own, uid in folders:
        home = out / folder
        home.mkdir(parents=True, exist_ok=True)
        _private(home / "credentials.yaml", yaml.safe_dump(own), uid)
        (home / "ca.pem").write_bytes(ca_file.read_bytes())
        name = folder.rpartition("/")[2]
        keys = {name: signing[name]} if name in signing else signing
        if name in signing or name in SIGNING_READERS:
            _private(home / "signing-secrets.yaml", yaml.safe_dump(keys), uid)
    if kafka_uid is not None:
        for path in (kafka, kafka / "tls", *(kafka / "tls").iterdir(), kafka / "credentials.yaml"):
            os.chown(path, kafka_uid, kafka_uid)
    if client_uid is not None:
        for name in CLIENT_FOLDERS:
            os.chown(out / name, client_uid, client_uid)
    return sorted(p for p in out.rglob("*") if p.is_file())
