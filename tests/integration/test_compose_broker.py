"""The compose deployment's broker, run here: the files `corridor compose-init` writes into the
secrets volume (server.properties, start.sh, one folder per principal) started from the Maven
jars instead of the apache/kafka image (no Docker engine on this machine). Only the paths and
ports differ from the image's (`deploy.Layout`); the script, the users and the security are the
ones compose runs. Every refusal expected here is Kafka's own."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError

from services.config import Settings
from services.kafka_access import connect, connect_partner
from services.stack import deploy, process
from services.stack.acls import registry_access
from services.stack.kafka import kafka_version
from services.stack.local import prepare

pytestmark = pytest.mark.skipif(
    os.environ.get("CORRIDOR_TEST_KAFKA_BOOTSTRAP") is not None,
    reason="needs the Maven-resolved Kafka jars of the local broker",
)


def _fake_kafka_home(home: Path, libs: Path) -> Path:
    """bin/kafka-storage.sh and bin/kafka-server-start.sh as the image has them, over the jars."""
    bin_ = home / "bin"
    bin_.mkdir(parents=True)
    for script, main in (("kafka-storage.sh", "kafka.tools.StorageTool"),
                         ("kafka-server-start.sh", "kafka.Kafka")):  # fmt: skip
        path = bin_ / script
        path.write_text(f'#!/bin/sh\nexec java -Xmx384m -cp "{libs}/*" {main} "$@"\n')
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return home


@pytest.fixture(scope="module")
def compose_broker(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str, str]]:
    """(secrets volume, INTERNAL bootstrap, PARTNER bootstrap) of a running compose broker.
    Depends on the session broker only so that the jars are resolved."""
    root = tmp_path_factory.mktemp("compose")
    libs = Settings().jar_cache / kafka_version() / "libs"
    internal, controller, partner = (process.free_port() for _ in range(3))
    layout = deploy.Layout(
        kafka_home=str(_fake_kafka_home(root / "kafka-home", libs)),
        data_dir=str(root / "data"), mount=str(root / "secrets" / "kafka"),
        bind="127.0.0.1", ports=(internal, controller, partner),
    )  # fmt: skip
    partners = [p.partner_id for p in registry_access()]
    deploy.write(root / "secrets", partners, broker_host="localhost",
                 partner_address=f"localhost:{partner}", at=layout)  # fmt: skip
    log = (root / "kafka.log").open("wb")
    start = ["/bin/sh", str(root / "secrets" / "kafka" / "start.sh")]
    broker = subprocess.Popen(start, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert process.wait_for_port("127.0.0.1", internal, timeout=90), (
            root / "kafka.log"
        ).read_text()[-2000:]
        yield root / "secrets", f"127.0.0.1:{internal}", f"localhost:{partner}"
    finally:
        broker.terminate()
        broker.wait(timeout=60)
        log.close()


def _as(
    monkeypatch: pytest.MonkeyPatch, volume: Path, folder: str, internal: str, partner: str
) -> Settings:
    """A container of the deployment: its own folder of the volume, nothing else."""
    for key, value in {
        "CORRIDOR_KAFKA_BOOTSTRAP": internal, "CORRIDOR_KAFKA_PARTNER_BOOTSTRAP": partner,
        "CORRIDOR_KAFKA_SECURITY": "sasl_ssl",
        "CORRIDOR_KAFKA_CREDENTIALS_FILE": str(volume / folder / "credentials.yaml"),
        "CORRIDOR_KAFKA_CA_FILE": str(volume / folder / "ca.pem"),
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    return Settings()


async def _send(options: dict, topic: str) -> None:
    producer = AIOKafkaProducer(**options, request_timeout_ms=10_000)
    await producer.start()
    try:
        await asyncio.wait_for(producer.send_and_wait(topic, b"{}"), 20)
    finally:
        await producer.stop()


async def test_the_compose_broker_runs_secured_with_one_password_per_container(
    compose_broker: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    volume, internal, partner = compose_broker
    _as(monkeypatch, volume, "admin", internal, partner)
    monkeypatch.setenv("CORRIDOR_KAFKA_USER", "admin")
    created, granted = await prepare(internal)  # what the `setup` service's `corridor up` does
    assert "region.events.v1" in created and granted

    _as(monkeypatch, volume, "intake", internal, partner)
    await _send(connect(principal="intake"), "region.events.v1")
    with pytest.raises(TopicAuthorizationFailedError):
        await _send(connect(principal="intake"), "allocation.decisions.v1")
    with pytest.raises(LookupError):  # the intake container holds no other principal's password
        connect(principal="allocator")
    wrong = {**connect(principal="intake"), "sasl_plain_password": "not-the-password-0000"}
    with pytest.raises(KafkaError):
        await _send(wrong, "region.events.v1")

    _as(monkeypatch, volume, "partners/iom-dtm-ht", internal, partner)
    await _send(connect_partner("iom-dtm-ht"), "ingress.displacement-alerts.v1")  # over TLS
    with pytest.raises(TopicAuthorizationFailedError):
        await _send(connect_partner("iom-dtm-ht"), "region.events.v1")
