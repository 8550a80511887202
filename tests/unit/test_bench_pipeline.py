"""The pure parts of `corridor bench pipeline`: rate schedule, percentiles, one step's figures,
saturation, the latency target, the report's shape and summary; no broker."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.codec import decode, encode_structured, payload_of, to_event
from schemas.ingress import DisplacementAlert
from schemas.outputs import AllocationDecision
from schemas.signing import verify_event
from services.bench import pipeline_load as load
from services.bench.pipeline_model import (
    REPORT_KEYS,
    STEP_KEYS,
    Latency,
    Saturation,
    Step,
    harness_bound,
    measure_step,
    percentile,
    rate_schedule,
    report,
    saturation_rate,
    target_holds,
)
from services.bench.pipeline_text import summary
from services.bench.procs import parse_vmhwm
from services.registry.regions import load_regions

TICK = 1.0


def stream(rate: float, seconds: float, households: int = 2) -> dict[str, tuple[float, int]]:
    """Messages sent at ``rate``/s from t=1000 for ``seconds``."""
    count = round(rate * seconds)
    return {f"a{i}": (1000.0 + i / rate, households) for i in range(count)}


def at_next_tick(sends: dict[str, tuple[float, int]], work: float) -> dict[str, float]:
    """Each output at the first whole second after its send, plus ``work`` s: a pipeline that
    keeps up and seals a micro-batch every tick."""
    return {k: math.floor(t) + TICK + work for k, (t, _) in sends.items()}


def at_capacity(sends: dict[str, tuple[float, int]], capacity: float) -> dict[str, float]:
    """Outputs one after the other at ``capacity``/s: a pipeline slower than the offer."""
    first = min(t for t, _ in sends.values())
    return {k: first + 0.5 + i / capacity for i, k in enumerate(sends)}


def test_rate_schedule_rises_geometrically() -> None:
    assert rate_schedule(50, 2, 4) == [50, 100, 200, 400]
    assert rate_schedule(10, 1.5, 3) == [10, 15, 22.5]
    for bad in ((0, 2, 3), (10, 1, 3), (10, 2, 0)):
        with pytest.raises(ValueError, match="a schedule needs"):
            rate_schedule(*bad)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 100 … 1, unsorted on purpose
    assert percentile(values, 0.50) == 50
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    assert percentile([7.0], 0.99) == 7
    assert math.isnan(percentile([], 0.5))


def test_a_pipeline_that_keeps_up_follows_the_offered_rate() -> None:
    sends = stream(200, 10)
    step = measure_step(200, sends, at_next_tick(sends, 0.05), wait=TICK)
    assert step.sent == step.decided == 2000
    assert step.offered_per_s == pytest.approx(200, rel=0.01)
    assert step.decided_per_s == pytest.approx(200, rel=0.01)
    assert step.households_per_s == pytest.approx(400, rel=0.01)
    assert 0.05 < step.latency.p50 < step.latency.p99 <= step.latency.max <= TICK + 0.05
    assert Saturation().reason(step, TICK) is None
    assert target_holds(step, TICK)


def test_a_pipeline_past_capacity_is_saturated_and_its_rate_is_the_capacity() -> None:
    sends = stream(400, 10)
    step = measure_step(400, sends, at_capacity(sends, 250), wait=TICK)
    assert step.decided_per_s == pytest.approx(250, rel=0.1)
    reason = Saturation().reason(step, TICK)
    assert reason is not None and reason.startswith("decided")
    assert not target_holds(step, TICK)  # latency grows with the backlog


def test_missing_outputs_saturate_and_fail_the_target() -> None:
    sends = stream(50, 4)
    outputs = at_next_tick(sends, 0.05)
    del outputs["a3"]
    step = measure_step(50, sends, outputs, wait=TICK)
    assert step.decided == step.sent - 1
    assert Saturation().reason(step, TICK) == "1 of 200 messages never decided"
    assert not target_holds(step, TICK)


def test_latency_running_away_saturates_even_at_the_offered_rate() -> None:
    sends = stream(20, 100)
    late = {k: t + 3.5 for k, (t, _) in sends.items()}
    step = measure_step(20, sends, late, wait=TICK)
    assert step.decided_per_s > 0.9 * step.offered_per_s
    reason = Saturation().reason(step, TICK)
    assert reason is not None and reason.startswith("p99")


def test_latency_runs_away_against_the_first_steps() -> None:
    first = stream(20, 10)
    baseline = measure_step(20, first, at_next_tick(first, 0.2), TICK)  # p99 1.2 s
    sends = stream(40, 100)
    slower = measure_step(40, sends, {k: t + 2.1 for k, (t, _) in sends.items()}, TICK)
    assert Saturation().reason(slower, TICK, baseline) is None  # 2.1 s ≤ 1.2 s + one tick
    queued = measure_step(40, sends, {k: t + 2.3 for k, (t, _) in sends.items()}, TICK)
    reason = Saturation().reason(queued, TICK, baseline)
    assert reason is not None and reason.startswith("p99 2.30 s > the first step's 1.20 s")


def test_the_target_is_one_tick_plus_100_ms_at_p99() -> None:
    sends = stream(100, 10)
    assert target_holds(measure_step(100, sends, at_next_tick(sends, 0.09), TICK), TICK)
    assert not target_holds(measure_step(100, sends, at_next_tick(sends, 0.2), TICK), TICK)


def test_harness_bound_when_the_offer_lags_the_target() -> None:
    sends = stream(100, 10)
    outputs = at_next_tick(sends, 0.05)
    assert not harness_bound(measure_step(100, sends, outputs, TICK))
    assert harness_bound(measure_step(1000, sends, outputs, TICK))


def _steps() -> list[Step]:
    out = []
    for rate in (100, 200, 400):
        sends = stream(rate, 5)
        outputs = at_next_tick(sends, 0.05) if rate < 400 else at_capacity(sends, 300)
        out.append(measure_step(rate, sends, outputs, TICK))
    return out


def test_saturation_rate_is_the_saturated_steps_else_the_best_followed() -> None:
    steps = _steps()
    assert saturation_rate(steps, 2) == steps[2].decided_per_s
    assert saturation_rate(steps[:2], None) == steps[1].decided_per_s
    assert saturation_rate([], None) == 0


def test_report_has_its_fields_is_json_and_summarised(tmp_path: Path) -> None:
    steps = _steps()
    half_sends = stream(150, 5)
    half = measure_step(150, half_sends, at_next_tick(half_sends, 0.05), TICK)
    half = replace(half, to_region_log=Latency.of([0.010, 0.020, 0.030]))
    empty = measure_step(150, half_sends, {}, 0.0)  # nothing came out: no latency at all
    after = measure_step(150, half_sends, at_next_tick(half_sends, 0.4), TICK)  # a large state
    doc = report(
        meta={"started": "2026-11-27T02:00:00+00:00"}, pipeline=steps, saturated=2,
        reason="decided 300/s < 90% of offered 400/s", half=half, raw=steps, raw_half=empty,
        raw_backlog=None, tick=TICK, peak_rss_kib={"intake": 80_000, "allocator": None},
        noise=[{"step": 1, "reason": "p99 2.30 s > …"}], half_after_climb=after,
        namespaces={"climb": "benchpa", "fresh half": "benchpb"},
    )  # fmt: skip
    text = json.dumps(doc, allow_nan=False)  # no NaN or infinity in the file
    doc = json.loads(text)
    assert tuple(doc) == REPORT_KEYS
    for step in [*doc["pipeline"]["steps"], doc["pipeline"]["half_saturation"],
                 doc["pipeline"]["half_saturation_after_climb"]]:  # fmt: skip
        assert tuple(step) == STEP_KEYS
        assert set(step["latency_ms"]) == {"p50", "p99", "max", "samples"}
    assert doc["raw_two_hop"]["half_saturation"]["latency_ms"]["p99"] is None
    intake = doc["pipeline"]["half_saturation"]["to_region_log_ms"]
    assert intake == {"p50": 20.0, "p99": 30.0, "max": 30.0, "samples": 3}
    assert doc["pipeline"]["steps"][0]["to_region_log_ms"] is None
    assert doc["pipeline"]["saturated_at_step"] == 2
    assert doc["pipeline"]["sustained_events_per_s"] == round(steps[1].decided_per_s, 1)
    assert doc["target"]["rate_per_s"] == round(steps[2].decided_per_s / 2, 1)
    # the target is judged on the fresh pipeline; the climb's state is reported beside it
    assert doc["target"]["holds"] is True and doc["target"]["after_climb_holds"] is False
    assert doc["target"]["after_climb_p99_ms"] > doc["target"]["p99_ms"] + 300
    assert doc["pipeline"]["namespaces"] == {"climb": "benchpa", "fresh half": "benchpb"}
    lines = summary(doc, tmp_path / "r.json")
    assert "holds (p99" in lines and "intake 78 MiB" in lines and "allocator n/a" in lines
    assert "half saturation, fresh pipeline" in lines
    assert "half saturation, after the climb" in lines
    assert "state it left: does not hold (p99 1393.3 ms)" in lines
    assert "step 2 (*)" in lines and "(*) looked saturated, then followed" in lines
    assert doc["pipeline"]["looked_saturated_once"] == [{"step": 1, "reason": "p99 2.30 s > …"}]


def test_vmhwm_is_read_from_proc_status() -> None:
    status = "Name:\tpython\nVmPeak:\t  300000 kB\nVmHWM:\t   81234 kB\nVmRSS:\t 80000 kB\n"
    assert parse_vmhwm(status) == 81234
    assert parse_vmhwm("Name:\tkthreadd\n") is None


def test_bench_alerts_are_signed_valid_and_in_their_regions() -> None:
    regions = ("HT01", "HT05", "HT09")
    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    registry = load_regions()
    sent = load.alerts(regions, 9, "a-secret", now, "t")
    assert [m.key for m in sent] == [f"t-{i}".encode() for i in range(9)]
    for i, message in enumerate(sent):
        event = decode(message.value)
        assert verify_event(event, "a-secret") and not verify_event(event, "another")
        payload = payload_of(event)
        assert isinstance(payload, DisplacementAlert)
        assert len(payload.households) == message.households
        assert registry.resolve(payload.origin) == regions[i % 3]
    assert load.alerts(regions, 9, "a-secret", now, "t") == sent  # seeded


def test_a_decision_is_matched_by_its_alert_id() -> None:
    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    decision = AllocationDecision(decision_id="d-1", region_pcode="HT01", decided_at=now,
                                  cause_event_id="tick:HT01:1", alert_id="s0-x-7")  # fmt: skip
    value = encode_structured(to_event(decision, id="d-1", source="corridor/allocator", time=now))
    assert load.alert_id_of(value) == "s0-x-7"
    waitlist = decision.model_copy(update={"alert_id": None})
    value = encode_structured(to_event(waitlist, id="d-2", source="corridor/allocator", time=now))
    assert load.alert_id_of(value) is None
