"""A partner written in another language: the Node.js client of tests/interop/node, which reads
only the published AsyncAPI document and signing vectors, authenticates to the secure broker's
partner listener (SASL_SSL, SCRAM-SHA-512), signs an alert and publishes it; intake admits it and
the allocator decides on it.

`make test` installs its packages (npm ci); without node and npm the test is skipped."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.catalogue import topic_name
from schemas.codec import decode, payload_of
from schemas.outputs import AllocationDecision
from services.config import PROJECT_ROOT, Settings
from services.publish import encode, partner_event, secrets, send
from services.stack.credentials import password
from services.stack.local import prepare
from tests import samples
from tests.integration.reader import TopicReader
from tests.integration.workers import worker, worker_env

NODE_DIR = PROJECT_ROOT / "tests" / "interop" / "node"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not on PATH (the Node.js partner needs it)"),
    pytest.mark.skipif(
        not (NODE_DIR / "node_modules" / "kafkajs").is_dir()
        or not (NODE_DIR / "node_modules" / "canonicalize").is_dir(),
        reason="tests/interop/node/node_modules is missing: `make test` installs it (npm ci)",
    ),
    pytest.mark.skipif(
        os.environ.get("CORRIDOR_TEST_KAFKA_BOOTSTRAP") is not None,
        reason="an external test broker is taken as an open one (no partner TLS listener)",
    ),
]

PARTNER = "dpc-ht"
ALERTS = "ingress.displacement-alerts.v1"
SHELTERS = "ingress.shelter-capacity.v1"


async def _node_partner(env: dict[str, str]) -> dict[str, object]:
    """Run partner.mjs; its one line on stdout says what it published."""
    assert NODE is not None
    proc = await asyncio.create_subprocess_exec(
        NODE, "partner.mjs", cwd=NODE_DIR, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode == 0, f"partner.mjs exited {proc.returncode}:\n{err.decode()}"
    assert b"signing vectors agree" in err
    published: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    return published


@pytest.mark.timeout(120)
async def test_a_node_partner_authenticates_signs_and_its_alert_is_decided(
    kafka_bootstrap: str, namespace: str, tmp_path: Path
) -> None:
    await prepare(kafka_bootstrap, namespace)
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_namespace=namespace)
    region = topic_name("region.events.v1", namespace)
    rejected = topic_name("ingress.rejected.v1", namespace)
    decisions = topic_name("allocation.decisions.v1", namespace)
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    alert_file = tmp_path / "alert.json"
    alert_file.write_text(json.dumps(samples.alert([4, 2], observed_at=now)))
    node_env = {
        "PATH": os.environ.get("PATH", ""),
        "PARTNER_BOOTSTRAP": settings.partner_bootstrap,
        "PARTNER_CA_FILE": str(settings.ca_file),
        "PARTNER_ID": PARTNER,
        "PARTNER_PASSWORD": password(PARTNER, settings.credentials_file),
        "PARTNER_SECRET": secrets(settings)[PARTNER],
        "PARTNER_TOPIC": topic_name(ALERTS, namespace),
        "PARTNER_ALERT_FILE": str(alert_file),
    }
    # A place in HT01 (Port-au-Prince), reported from Python by the shelter's operator.
    shelter = partner_event(
        samples.shelter("111_01_026", reported_at=now), topic=SHELTERS, partner_id="iom-dtm-ht",
        secret=secrets(settings)["iom-dtm-ht"], event_id="shelter-gheskio",
    )  # fmt: skip
    env = worker_env(kafka_bootstrap, namespace, tmp_path / "state")

    def admitted(records: list) -> set[str]:
        return {decode(r.value).id for r in records if r.topic == region}

    def decided(records: list, alert_id: str) -> list[AllocationDecision]:
        found = []
        for r in records:
            if r.topic == decisions:
                decision = payload_of(decode(r.value))
                if isinstance(decision, AllocationDecision) and decision.alert_id == alert_id:
                    found.append(decision)
        return found

    async with TopicReader(kafka_bootstrap, [region, rejected, decisions]) as reader:
        with (
            worker("intake", env, tmp_path / "intake.log") as intake,
            worker("allocator", env, tmp_path / "allocator.log") as allocator,
        ):

            def running() -> bool:
                for name, proc in (("intake", intake), ("allocator", allocator)):
                    if proc.poll() is not None:
                        log = (tmp_path / f"{name}.log").read_text(errors="replace")
                        raise AssertionError(f"the {name} worker exited:\n{log[-2000:]}")
                return True

            await send([encode(shelter, topic=SHELTERS)], settings, as_partner="iom-dtm-ht")
            await reader.read_until(
                lambda rs: running() and "shelter-gheskio" in admitted(rs), within=60
            )
            published = await _node_partner(node_env)
            alert_id = str(published["id"])
            await reader.read_until(lambda rs: running() and bool(decided(rs, alert_id)), within=60)

    assert published["topic"] == topic_name(ALERTS, namespace)
    assert alert_id in admitted(reader.records)
    refused = [decode(r.value) for r in reader.records if r.topic == rejected]
    assert not refused, [payload_of(e) for e in refused]
    decision = decided(reader.records, alert_id)[0]
    assert decision.region_pcode == "HT01"
    placed = sorted((p.household_index, p.shelter_id) for p in decision.placements)
    assert placed == [(0, "111_01_026"), (1, "111_01_026")], decision
