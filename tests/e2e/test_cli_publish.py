"""`corridor publish` signs and sends as a partner; a payload intake would refuse never leaves."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from schemas.catalogue import topic_name
from schemas.codec import decode, payload_of
from schemas.signing import verify_event
from services.config import Settings
from services.publish import secrets
from services.stack.local import prepare
from tests import samples
from tests.integration.reader import TopicReader

SHELTERS = "ingress.shelter-capacity.v1"


def publish(path, env, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "publish", str(path), "--topic", SHELTERS,
         "--partner", "iom-dtm-ht", *extra],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


async def test_publish_signs_and_sends_and_refuses_bad_payloads_locally(
    kafka_bootstrap, namespace, tmp_path
) -> None:
    await prepare(kafka_bootstrap, namespace)
    env = {**os.environ, "CORRIDOR_KAFKA_BOOTSTRAP": kafka_bootstrap,
           "CORRIDOR_TOPIC_NAMESPACE": namespace}  # fmt: skip
    good = tmp_path / "good.json"
    good.write_text(json.dumps(samples.shelter()))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(samples.shelter(occupancy=-3)))

    sent = publish(good, env, "--id", "cli-1", "--binary")
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.strip() == f"sent cli-1 to {SHELTERS} as iom-dtm-ht"

    refused = publish(bad, env)
    assert refused.returncode == 1
    [line] = refused.stderr.strip().splitlines()
    assert line == (
        "corridor: refused (validation_failed): occupancy:"
        " Input should be greater than or equal to 0"
    )

    async with TopicReader(kafka_bootstrap, [topic_name(SHELTERS, namespace)]) as reader:
        await reader.read_until(lambda rs: len(rs) >= 1)
        await reader.linger(1)
    [record] = reader.records
    event = decode(record.value, record.headers)
    assert event.id == "cli-1" and event.source == "corridor:partner:iom-dtm-ht"
    assert payload_of(event).shelter_id == "111_01_026"
    assert verify_event(event, secrets(Settings())["iom-dtm-ht"])
