"""The pure parts of `corridor bench pipeline`: the rate schedule, one step's figures from the
times messages were sent and decided, saturation, the latency target, and the report's shape.

No I/O, no clock: times come in as arguments (seconds since the epoch, from the harness).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

TARGET_SLACK = 0.100
"""The target: ingress → decision p99 ≤ one tick interval + this, at half the saturation rate."""


def rate_schedule(start: float, factor: float, steps: int) -> list[float]:
    """Rising offered rates (messages/s): ``start``, ``start·factor``, … ``steps`` of them."""
    if start <= 0 or factor <= 1 or steps < 1:
        raise ValueError("a schedule needs start > 0, factor > 1 and at least one step")
    return [round(start * factor**i, 1) for i in range(steps)]


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0 < q ≤ 1) of ``values``; NaN when there are none."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Latency:
    """Seconds from ingress to output: p50, p99, max, and how many samples."""

    p50: float
    p99: float
    max: float
    samples: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Latency:
        top = max(values) if values else math.nan
        return cls(percentile(values, 0.50), percentile(values, 0.99), top, len(values))


class Split(Protocol):
    """Where a step's time went (pipeline_path.PathSplit), as the report shows it."""

    def to_ms(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Step:
    """One step of the schedule, measured.

    ``decided_per_s`` is the rate at which the outputs kept up: outputs over the time from the
    first send to the last output, less one tick interval (the longest any input may wait for
    the tick that seals it; 0 for a loop without ticks). While the pipeline follows, it equals
    the offered rate; past saturation the backlog stretches the time and it falls to capacity.
    """

    target_per_s: float
    offered_per_s: float  # what the harness managed to send
    sent: int
    decided: int  # outputs seen for the messages sent (missing: sent - decided)
    decided_per_s: float
    households_per_s: float
    latency: Latency
    to_region_log: Latency | None = None  # ingress → region.events.v1: intake's part
    path: Split | None = None  # where the time goes, from the records' stamps


def measure_step(
    target: float,
    sends: Mapping[str, tuple[float, int]],
    outputs: Mapping[str, float],
    wait: float = 0.0,
) -> Step:
    """A step from ``sends`` (id → (time sent, households)) and ``outputs`` (id → time its
    output was seen); ``wait`` is the batching wait to leave out (one tick interval)."""
    if not sends:
        raise ValueError("a step needs messages")
    first = min(t for t, _ in sends.values())
    last = max(t for t, _ in sends.values())
    span = last - first
    offered = (len(sends) - 1) / span if span > 0 else math.inf
    done = {k: outputs[k] - sends[k][0] for k in sends if k in outputs}
    households = sum(sends[k][1] for k in done)
    if done:
        finish = max(outputs[k] for k in done)
        elapsed = max(finish - first - wait, span, 1e-6)
        decided_rate, household_rate = len(done) / elapsed, households / elapsed
    else:
        decided_rate = household_rate = 0.0
    return Step(target, offered, len(sends), len(done), decided_rate, household_rate,
                Latency.of(list(done.values())))  # fmt: skip


@dataclass(frozen=True)
class Saturation:
    """When a step counts as saturated: the outputs stop following the offered rate (below
    ``follow`` of it, or some never came), or latency runs away: p99 more than ``runaway`` tick
    intervals above the first step's p99 (a queue longer than the wait for a tick)."""

    follow: float = 0.9
    runaway: float = 1.0

    def reason(self, step: Step, tick: float, baseline: Step | None = None) -> str | None:
        """Why ``step`` is past saturation, ``baseline`` being the first step; None while the
        pipeline follows."""
        if step.decided < step.sent:
            return f"{step.sent - step.decided} of {step.sent} messages never decided"
        if step.decided_per_s < self.follow * step.offered_per_s:
            return (f"decided {step.decided_per_s:,.0f}/s < {self.follow:.0%} of offered"
                    f" {step.offered_per_s:,.0f}/s")  # fmt: skip
        base = baseline.latency.p99 if baseline is not None else tick
        if step.latency.p99 > base + self.runaway * tick:
            return (f"p99 {step.latency.p99:.2f} s > the first step's {base:.2f} s"
                    f" + {self.runaway:g} × tick {tick:g} s")  # fmt: skip
        return None


def harness_bound(step: Step, follow: float = 0.9) -> bool:
    """Whether the harness could not offer the step's target rate (it, not the pipeline, was
    the limit)."""
    return step.offered_per_s < follow * step.target_per_s


def saturation_rate(steps: Sequence[Step], saturated: int | None) -> float:
    """The pipeline's capacity: the decided rate of the first saturated step (the pipeline ran
    flat out through its backlog), else the highest rate it followed."""
    if saturated is not None:
        return steps[saturated].decided_per_s
    return max((s.decided_per_s for s in steps), default=0.0)


def target_holds(step: Step, tick: float) -> bool:
    """ingress → decision p99 ≤ one tick interval + 100 ms, every message decided."""
    return step.decided == step.sent and step.latency.p99 <= tick + TARGET_SLACK


def _ms(latency: Latency | None) -> dict[str, Any] | None:
    if latency is None:
        return None
    figures: dict[str, Any] = {
        k: (round(v * 1000, 1) if math.isfinite(v) else None)
        for k, v in ((k, getattr(latency, k)) for k in ("p50", "p99", "max"))
    }  # fmt: skip
    return {**figures, "samples": latency.samples}


def _figures(step: Step) -> dict[str, Any]:
    figures = asdict(step)
    figures["latency_ms"] = _ms(step.latency)
    figures["to_region_log_ms"] = _ms(step.to_region_log)
    figures["path_ms"] = step.path.to_ms() if step.path is not None else None
    del figures["latency"], figures["to_region_log"], figures["path"]
    for k in ("target_per_s", "offered_per_s", "decided_per_s", "households_per_s"):
        figures[k] = round(figures[k], 1) if math.isfinite(figures[k]) else None
    return figures


def report(
    *,
    meta: Mapping[str, Any],
    pipeline: Sequence[Step],
    saturated: int | None,
    reason: str | None,
    half: Step | None,
    raw: Sequence[Step],
    half_after_climb: Step | None = None,
    noise: Sequence[Mapping[str, Any]] = (),
    rss: Sequence[Mapping[str, int | None]] = (),
    namespaces: Mapping[str, str] | None = None,
    raw_half: Step | None,
    raw_backlog: Step | None,
    tick: float,
    peak_rss_kib: Mapping[str, int | None],
) -> dict[str, Any]:
    """The JSON report (see docs/architecture.md, "End to end: corridor bench pipeline")."""
    capacity = saturation_rate(pipeline, saturated)
    followed = [s for i, s in enumerate(pipeline) if saturated is None or i < saturated]
    sustained = max(followed, key=lambda s: s.decided_per_s, default=None)
    return {
        "meta": dict(meta),
        "tick_interval_s": tick,
        "pipeline": {
            "steps": [_figures(s) for s in pipeline],
            "saturated_at_step": saturated,
            "saturation_reason": reason,
            "looked_saturated_once": [dict(n) for n in noise],
            "saturation_events_per_s": round(capacity, 1),
            "sustained_events_per_s": round(sustained.decided_per_s, 1) if sustained else None,
            "sustained_households_per_s": (
                round(sustained.households_per_s, 1) if sustained else None
            ),
            # on a fresh pipeline (new namespace, workers, state): the target's check
            "half_saturation": _figures(half) if half else None,
            # the same rate on the climb's workers, with the state the climb left
            "half_saturation_after_climb": _figures(half_after_climb) if half_after_climb else None,
            # every step, then the half check after the climb, then the fresh pipeline's
            "rss_kib_after_steps": [dict(r) for r in rss],
            "namespaces": dict(namespaces or {}),  # the climb's and the fresh half check's
        },
        "raw_two_hop": {
            "steps": [_figures(s) for s in raw],
            "half_saturation": _figures(raw_half) if raw_half else None,
            "backlog": _figures(raw_backlog) if raw_backlog else None,
        },
        "target": {
            "rule": f"ingress → decision p99 ≤ tick interval ({tick:g} s) + 100 ms"
            " at half the saturation rate, on a fresh pipeline",
            "rate_per_s": round(capacity / 2, 1),
            "p99_ms": _figures(half)["latency_ms"]["p99"] if half else None,
            "holds": target_holds(half, tick) if half else None,
            "after_climb_p99_ms": (
                _figures(half_after_climb)["latency_ms"]["p99"] if half_after_climb else None
            ),
            "after_climb_holds": target_holds(half_after_climb, tick) if half_after_climb else None,
            "saturation_reached": saturated is not None,
        },
        "peak_rss_kib": dict(peak_rss_kib),
    }


REPORT_KEYS = ("meta", "tick_interval_s", "pipeline", "raw_two_hop", "target", "peak_rss_kib")
STEP_KEYS = ("target_per_s", "offered_per_s", "sent", "decided", "decided_per_s",
             "households_per_s", "latency_ms", "to_region_log_ms", "path_ms")  # fmt: skip
