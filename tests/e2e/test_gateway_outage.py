"""A partner posting while the broker is down (on a stack of the test's own, since the suite's
broker cannot be stopped): the gateway answers 503 `unavailable` with Retry-After before the
partner's HTTP client gives up (here: answer within 2 s, a client that waits 30 s; aiokafka's
own 40 s would outlast it), and accepts again once the broker is back. A 202 always means the
broker has the event."""

from __future__ import annotations

import asyncio
import signal
import sys
import uuid
from pathlib import Path

import httpx
import psutil
import pytest
import yaml

from schemas.codec import encode_structured
from services.config import PROJECT_ROOT
from services.opscentre.auth import partner_token
from services.publish import partner_event
from services.stack import process
from tests import samples
from tests.e2e.own_stack import corridor

PARTNER = "iom-dtm-ht"


def stop_broker(state: Path) -> None:
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if "kafka.Kafka" in cmdline and str(state) in cmdline:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)


async def post(http: httpx.AsyncClient, secret: str) -> httpx.Response:
    event = partner_event(samples.shelter(), topic="ingress.shelter-capacity.v1",
                          partner_id=PARTNER, secret=secret,
                          event_id=f"gw-{uuid.uuid4().hex[:12]}")  # fmt: skip
    return await http.post("/v1/events", content=encode_structured(event), headers={
        "content-type": "application/cloudevents+json",
        "Authorization": f"Bearer {partner_token(PARTNER, secret)}"})  # fmt: skip


@pytest.mark.timeout(300)
async def test_a_partner_gets_503_while_the_broker_is_down_and_202_once_it_is_back(
    stack_env: tuple[dict[str, str], Path],
) -> None:
    env, state = stack_env
    assert corridor("up", env=env).returncode == 0
    secret = yaml.safe_load((state / "partners" / "signing-secrets.yaml").read_text())[PARTNER]
    port = process.free_port()
    gateway = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.gateway", "worker", cwd=PROJECT_ROOT,
        env={**env, "CORRIDOR_GATEWAY_PORT": str(port), "CORRIDOR_GATEWAY_ANSWER_WITHIN": "2"},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for _ in range(300):  # until it serves
                if process.port_open("127.0.0.1", port):
                    break
                await asyncio.sleep(0.1)
            assert (await post(http, secret)).status_code == 202

            await asyncio.to_thread(stop_broker, state)
            down = await post(http, secret)
            assert down.status_code == 503, down.text
            assert down.json()["reason"] == "unavailable"
            assert down.headers["retry-after"] == "5"

            assert corridor("up", env=env).returncode == 0  # the broker again
            for _ in range(60):  # the producer reconnects on its own
                back = await post(http, secret)
                if back.status_code == 202:
                    break
                await asyncio.sleep(1)
            assert back.status_code == 202, back.text
    finally:
        gateway.terminate()
        await gateway.wait()
