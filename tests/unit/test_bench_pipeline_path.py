"""The pipeline bench's split of an alert's latency at the records' stamps (pure, synthetic
times; services/bench/pipeline_path.py)."""

from __future__ import annotations

import json
import math

import pytest

from services.bench.pipeline_model import Latency, Step, _figures
from services.bench.pipeline_path import PARTS, PUBLISHED_PARTS, Decided, split, tick_time


def test_a_tick_id_gives_its_nominal_time() -> None:
    # HT01 ticks in slot 11 of 16 (services/intake/clock.py), HT02 in slot 1
    assert tick_time("tick:HT01:1800000000", 1.0) == 1800000000.0 + 11 / 16
    assert tick_time("tick:HT02:10", 0.5) == 5.0 + 0.5 / 16
    assert tick_time("alert-7", 1.0) is None


def _alerts(n: int) -> tuple[dict[str, tuple[float, int]], dict[str, Decided], dict[str, float]]:
    """n alerts sent 10 ms apart from t=100 s; intake takes 20 ms; the tick at 101 s, logged at
    101.004 s, seals them all; the allocator stamps each decision 30 ms later (the last alert's
    80 ms later); the reader sees them 6 ms after."""
    sends, decided = {}, {}
    logged = {"tick:HT01:101": 101.004}
    for i in range(n):
        key = f"a{i}"
        sends[key] = (100.0 + 0.01 * i, 1)
        logged[key] = 100.02 + 0.01 * i
        stamped = 101.004 + (0.08 if i == n - 1 else 0.03)
        decided[key] = Decided(seen=stamped + 0.006, stamped=stamped, cause="tick:HT01:101")
    return sends, decided, logged


def test_the_parts_add_up_to_each_alerts_latency() -> None:
    sends, decided, logged = _alerts(50)
    got = split(sends, decided, logged, 1.0, read={"tick:HT01:101": 101.012})
    assert got is not None
    assert got.tick_to_reader.max == pytest.approx(0.008)
    assert got.parts["intake"].p50 == pytest.approx(0.02)
    assert got.parts["wait_for_tick"].max == pytest.approx(101.004 - 100.02)
    assert got.parts["allocator"].p50 == pytest.approx(0.03)
    assert got.parts["allocator"].max == pytest.approx(0.08)
    assert got.parts["delivery"].p99 == pytest.approx(0.006)
    assert got.tick_offset.p50 == pytest.approx(101.004 - (101 + 11 / 16))
    # the slowest alert (nearest-rank p99 of 50 is the 50th): the first one sent
    assert got.tail_samples == 1
    total = sum(got.tail.values())
    assert total == pytest.approx(decided["a0"].seen - sends["a0"][0])
    assert set(got.tail) == set(PARTS)


def test_the_ingress_append_splits_the_harness_off_intake() -> None:
    sends, decided, logged = _alerts(50)
    received = {key: sent + 0.005 for key, (sent, _) in sends.items()}  # the broker's append
    del received["a3"]  # not seen on the ingress topic: left out, as any missing stamp
    got = split(sends, decided, logged, 1.0, received=received)
    assert got is not None and tuple(got.parts) == PUBLISHED_PARTS == tuple(got.tail)
    assert got.parts["publish"].samples == 49
    assert got.parts["publish"].p99 == pytest.approx(0.005)
    assert got.parts["intake"].p50 == pytest.approx(0.015)
    assert sum(got.tail.values()) == pytest.approx(decided["a0"].seen - sends["a0"][0])


def test_alerts_without_every_stamp_are_left_out() -> None:
    sends, decided, logged = _alerts(3)
    del decided["a0"]
    del logged["a1"]
    got = split(sends, decided, logged, 1.0)
    assert got is not None and got.parts["intake"].samples == 1
    del logged["tick:HT01:101"]
    assert split(sends, decided, logged, 1.0) is None


def test_an_alert_decided_as_it_came_waits_for_no_tick() -> None:
    sends = {"a": (10.0, 2)}
    logged = {"a": 10.02}
    decided = {"a": Decided(seen=10.06, stamped=10.05, cause="a")}
    got = split(sends, decided, logged, 1.0)
    assert got is not None
    assert got.parts["wait_for_tick"].max == 0.0
    assert got.tick_offset.samples == 0 and math.isnan(got.tick_offset.p50)
    assert got.to_ms()["tick_offset"] is None and got.to_ms()["tick_to_reader"] is None


def test_the_report_carries_the_split_in_ms_as_json() -> None:
    sends, decided, logged = _alerts(10)
    step = Step(1, 1, 10, 10, 1, 1, Latency.of([1.0]), path=split(sends, decided, logged, 1.0))
    figures = _figures(step)
    path = figures["path_ms"]
    assert path["allocator"]["max"] == 80.0 and path["intake"]["samples"] == 10
    assert set(path["tail_mean"]) == set(PARTS)
    json.dumps(figures, allow_nan=False)
    assert _figures(Step(1, 1, 1, 1, 1, 1, Latency.of([1.0])))["path_ms"] is None
