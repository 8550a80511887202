"""The climb and the half-saturation checks of `corridor bench pipeline` on a fake pipeline (no
broker, no workers): the check that decides the target runs on a fresh pipeline, the one on
the climb's workers is kept beside it."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from services.bench import pipeline_climb
from services.bench.pipeline_climb import Climb, Offer, Options, climb, fresh_half, half_rate
from services.bench.pipeline_load import Outgoing
from services.bench.pipeline_model import Step, measure_step, saturation_rate
from services.config import Settings

CAPACITY = 300.0  # alerts/s the fake pipeline decides at most


def _step(rate: float) -> Step:
    """A step at ``rate`` on a pipeline that follows up to CAPACITY and queues beyond."""
    sends = {f"a{i}": (1000.0 + i / rate, 2) for i in range(round(rate * 4))}
    if rate < CAPACITY:
        outputs = {k: math.floor(t) + 1.05 for k, (t, _) in sends.items()}
    else:
        outputs = {k: 1000.5 + i / CAPACITY for i, k in enumerate(sends)}
    return measure_step(rate, sends, outputs, wait=1.0)


@dataclass
class FakeSeen:
    workers: list[Any] = field(default_factory=list)

    async def until_all(self, ids: Any, within: float) -> bool:
        return True


@dataclass
class FakePipeline:
    """What `running` yields, offering nothing: each step's figures come from ``_step``."""

    ns: str
    settings: Settings = field(default_factory=lambda: Settings(tick_interval=1.0))
    opts: Options = field(default_factory=lambda: Options(start=50, factor=2, steps=6))
    seen: FakeSeen = field(default_factory=FakeSeen)
    offers: list[tuple[float, str, bool]] = field(default_factory=list)

    async def step(self, rate: float, prefix: str, plan: list[Offer] | None = None,
                   half: bool = False) -> Step:  # fmt: skip
        self.offers.append((rate, prefix, plan is not None))
        if plan is not None:
            plan.append(Offer(rate, [Outgoing(f"{prefix}-0".encode(), b"", 2)], half))
        return _step(rate)


async def test_the_climb_stops_at_saturation_and_checks_half_on_its_own_state() -> None:
    pipeline, plan, result = FakePipeline("climb-ns"), [], Climb()
    await climb(pipeline, plan, result)  # type: ignore[arg-type]
    rates = [r for r, _, _ in pipeline.offers]
    assert rates[:3] == [50, 100, 200] and rates[3] == rates[4] == 400  # repeated once
    assert result.saturated == 3 and result.reason is not None
    assert result.reason.endswith("and again when repeated")
    half = round(saturation_rate(result.steps, 3) / 2, 1)
    assert half_rate(result) == half
    # the half check after the climb runs on the climb's workers, not planned for the raw loop
    assert pipeline.offers[-1] == (half, "halfclimb", False)
    assert result.half_after_climb is not None and result.half is None
    assert [o.rate for o in plan] == rates[:-1] and not any(o.half for o in plan)
    assert len(result.rss) == len(result.steps) + 1


async def test_the_target_check_runs_on_a_fresh_pipeline(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:  # fmt: skip
    started: list[str] = []

    async def namespace(settings: Settings, prefix: str, level: str) -> Any:
        return f"{prefix}fresh", tmp_path, {}

    @asynccontextmanager
    async def running(settings: Settings, opts: Options, ns: str, env: dict[str, str],
                      home: Path, peaks: dict[str, int | None]) -> AsyncIterator[Any]:  # fmt: skip
        started.append(ns)
        yield FakePipeline(ns)
        peaks.update({"intake": 1, "allocator": 2})

    monkeypatch.setattr(pipeline_climb, "workers_namespace", namespace)
    monkeypatch.setattr(pipeline_climb, "running", running)
    result = Climb(steps=[_step(50), _step(100), _step(400)], saturated=2,
                   namespaces={"climb": "climb-ns"})  # fmt: skip
    plan: list[Offer] = []
    peaks: dict[str, int | None] = {"intake": 10, "allocator": 20}
    await fresh_half(Settings(), Options(), plan, result, peaks)
    assert started == ["benchpfresh"] and result.namespaces["fresh half"] == "benchpfresh"
    assert result.half is not None and result.half.target_per_s == half_rate(result)
    assert [(o.rate, o.half) for o in plan] == [(half_rate(result), True)]  # the raw loop's too
    assert peaks == {"intake": 10, "allocator": 20, "intake, fresh": 1, "allocator, fresh": 2}
