"""`corridor ingest`: its dry-run output round-trips through the codec, and a CAP file ingested
for real goes through intake into region.events.v1 of the regions it names."""

from __future__ import annotations

import asyncio
import io

import orjson
import pytest
from typer.testing import CliRunner

from schemas.catalogue import topic_name
from schemas.codec import decode, payload_of
from schemas.hazard import HazardWarning
from schemas.ingress import DisplacementAlert, ShelterCapacityReport
from services.adapters.ingest import run
from services.cli import app
from services.config import PROJECT_ROOT, Settings
from services.registry.dtm import ADMIN1_JSON, SITES_CSV
from services.stack import local
from tests.integration.reader import TopicReader
from tests.integration.workers import worker, worker_env

HAITI_CAP = PROJECT_ROOT / "tests" / "fixtures" / "cap" / "haiti-flood.cap"


@pytest.mark.parametrize(
    ("fmt", "path", "model", "least"),
    [
        ("cap", HAITI_CAP, HazardWarning, 1),
        ("hxl", SITES_CSV, ShelterCapacityReport, 352),
        ("dtm", ADMIN1_JSON, DisplacementAlert, 100),
    ],
)
def test_dry_run_output_round_trips_through_the_codec(fmt, path, model, least) -> None:
    result = CliRunner().invoke(app, ["ingest", fmt, "--dry-run", str(path)])
    lines = result.stdout.splitlines()
    assert len(lines) >= least, result.output
    for line in lines:
        event = decode(line.encode())
        assert isinstance(payload_of(event), model)
        assert orjson.loads(line)["id"] == event.id


def test_dry_run_reports_refusals_and_held_alerts(capsys) -> None:
    cap_dir = HAITI_CAP.parent
    out, err = io.StringIO(), io.StringIO()
    files = [cap_dir / "invalid.cap", cap_dir / "ph.cap", cap_dir / "canada.cap", HAITI_CAP]
    code = run("cap", files, partner_id=None, dry_run=True, out=out, err=err)
    report = err.getvalue()
    assert code == 1
    assert "invalid.cap: refused — alert/scope: required by CAP 1.2 but missing" in report
    assert "held: " in report and "Test alert" in report
    assert "no known region contains the location" in report
    assert len(out.getvalue().splitlines()) == 1  # only the Haiti warning


@pytest.mark.timeout(90)
async def test_ingested_cap_alert_lands_in_the_region_log(kafka_bootstrap, namespace, tmp_path):
    await local.prepare(kafka_bootstrap, namespace)  # topics and ACLs, as `corridor up` makes them
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_namespace=namespace)
    region_topic = topic_name("region.events.v1", namespace)
    rejected_topic = topic_name("ingress.rejected.v1", namespace)
    env = worker_env(kafka_bootstrap, namespace, tmp_path / "state")

    def warnings(records):
        return [r for r in records if r.topic == region_topic and b"hazard.warning" in r.value]

    async with TopicReader(kafka_bootstrap, [region_topic, rejected_topic]) as reader:
        with worker("intake", env, tmp_path / "intake.log"):
            code = await asyncio.to_thread(
                run, "cap", [HAITI_CAP], partner_id=None, dry_run=False, settings=settings,
                out=io.StringIO(), err=io.StringIO(),
            )  # fmt: skip
            assert code == 0
            await reader.read_until(lambda rs: len(warnings(rs)) >= 2, within=60)
    assert not [r for r in reader.records if r.topic == rejected_topic]
    assert sorted(r.key.decode() for r in warnings(reader.records)) == ["HT01", "HT02"]
