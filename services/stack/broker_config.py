"""The broker's configuration, rendered: the same for the local node (services/stack/kafka.py)
and the compose deployment (services/stack/deploy.py)."""

from __future__ import annotations

from pathlib import Path

from services.config import INFRA_DIR
from services.stack import credentials

SCRAM = "SCRAM-SHA-512"
TEMPLATE = INFRA_DIR / "kafka" / "server.properties"


def render(values: dict[str, str]) -> list[str]:
    """infra/kafka/server.properties with the (runtime) values replaced."""
    lines = []
    for line in TEMPLATE.read_text().splitlines():
        key = line.split("=", 1)[0].strip()
        lines.append(f"{key}={values[key]}" if key in values and "=" in line else line)
    return lines


def security_lines(passwords: dict[str, str], broker_pem: Path | str) -> list[str]:
    """Listener security: SCRAM principals, TLS for partners, ACLs or nothing. The same for
    the local node and the compose deployment (services/stack/deploy.py)."""
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule required"
    plain = "org.apache.kafka.common.security.plain.PlainLoginModule required"
    broker, controller = credentials.BROKER, credentials.CONTROLLER
    broker_login = f'{scram} username="{broker}" password="{passwords[broker]}";'
    return [
        "", "# (runtime) security, written by services/stack/broker_config.py",
        f"sasl.enabled.mechanisms={SCRAM}",
        f"sasl.mechanism.inter.broker.protocol={SCRAM}",
        "sasl.mechanism.controller.protocol=PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
        f'listener.name.controller.plain.sasl.jaas.config={plain} username="{controller}" '
        f'password="{passwords[controller]}" user_{controller}="{passwords[controller]}";',
        f"listener.name.internal.scram-sha-512.sasl.jaas.config={broker_login}",
        f"listener.name.partner.scram-sha-512.sasl.jaas.config={broker_login}",
        "listener.name.partner.ssl.keystore.type=PEM",
        f"listener.name.partner.ssl.keystore.location={broker_pem}",
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found=false",
        "super.users=" + ";".join(f"User:{u}" for u in credentials.SUPER_USERS),
    ]  # fmt: skip


def scram_arguments(passwords: dict[str, str], names: tuple[str, ...]) -> list[str]:
    """StorageTool format's ``--add-scram`` arguments: the first SCRAM users of a new node."""
    users: list[str] = []
    for name in names:
        users += ["--add-scram", f"{SCRAM}=[name={name},password={passwords[name]}]"]
    return users
