"""`corridor bench pipeline` for a few seconds on the test broker: intake and the allocator as
workers, the raw two-hop loop, the JSON report with every field. No threshold on the figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.bench.pipeline import Options, run
from services.bench.pipeline_model import REPORT_KEYS, STEP_KEYS
from services.config import Settings


@pytest.mark.timeout(300)
def test_a_short_run_writes_a_complete_report(kafka_bootstrap: str, tmp_path: Path) -> None:
    settings = Settings(kafka_bootstrap=kafka_bootstrap, tick_interval=0.5)
    opts = Options(start=10, factor=2, steps=2, duration=2, regions=2, shelters=2, backlog=300,
                   drain=30)  # fmt: skip
    out = tmp_path / "report.json"
    text = run(settings, opts, out)
    doc = json.loads(out.read_text())
    assert tuple(doc) == REPORT_KEYS
    assert doc["tick_interval_s"] == 0.5
    pipeline, raw = doc["pipeline"], doc["raw_two_hop"]
    measured = [*pipeline["steps"], pipeline["half_saturation"],
                pipeline["half_saturation_after_climb"], *raw["steps"], raw["half_saturation"],
                raw["backlog"]]  # fmt: skip
    assert 1 <= len(pipeline["steps"]) <= 2 and len(raw["steps"]) == len(pipeline["steps"])
    for step in measured:
        assert tuple(step) == STEP_KEYS
        assert step["sent"] > 0 and step["latency_ms"]["samples"] == step["decided"]
    # the pipeline decided what it was offered at these rates, the raw loop copied it all
    assert all(s["decided"] == s["sent"] for s in measured)
    assert raw["backlog"]["sent"] >= 300
    assert isinstance(doc["target"]["holds"], bool)
    assert isinstance(doc["target"]["after_climb_holds"], bool)
    # the target's check ran on workers of a namespace of its own, not the climb's
    spaces = pipeline["namespaces"]
    assert set(spaces) == {"climb", "fresh half"} and spaces["climb"] != spaces["fresh half"]
    assert len(pipeline["rss_kib_after_steps"]) == len(pipeline["steps"]) + 2
    peaks = doc["peak_rss_kib"]
    assert set(peaks) == {"intake", "allocator", "intake, fresh", "allocator, fresh",
                          "raw hop 1", "raw hop 2", "harness"}  # fmt: skip
    assert all(isinstance(v, int) and v > 0 for v in peaks.values())
    assert f"report: {out}" in text
