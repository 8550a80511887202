"""The terminal summary of `corridor bench pipeline`'s report: each step next to the raw
loop's on the same messages, the target, peak memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _cell(latency: dict[str, Any], k: str) -> str:
    return "{:>9}".format("n/a" if latency[k] is None else f"{latency[k]:,.1f}")


def _row(name: str, step: dict[str, Any] | None, households: bool = True) -> str:
    if not step:
        return f"{name:<34}{'not measured':>12}"
    lat, part = step["latency_ms"], step["to_region_log_ms"]
    cells = [
        f"{step['offered_per_s'] or 0:>10,.0f}",
        f"{step['decided_per_s'] or 0:>10,.0f}",
        f"{step['households_per_s']:>14,.0f}" if households else f"{'':>14}",
    ]
    cells += [_cell(lat, k) for k in ("p50", "p99", "max")]
    if part:
        cells += [_cell(part, k) for k in ("p50", "p99")]
    return f"{name:<34}" + "".join(cells)


def _path(step: dict[str, Any] | None) -> list[str]:
    """Where the time went: each part's p50 / p99, and its mean among the slowest 1 %."""
    split = step.get("path_ms") if step else None
    if not split:
        return []
    cells = [f"{k.replace('_', ' ')} {split[k]['p50']:,.1f} / {split[k]['p99']:,.1f}"
             f" ({split['tail_mean'][k]:,.1f})" for k in split["tail_mean"]]  # fmt: skip
    late, read = split["tick_offset"], split["tick_to_reader"]
    ticks = f"; tick offset {late['p50']:,.1f} / {late['p99']:,.1f}" if late else ""
    ticks += f"; tick to a reader {read['p50']:,.1f} / {read['p99']:,.1f}" if read else ""
    return [f"  where the time goes, p50 / p99 ms (mean of the slowest {split['tail_samples']}):",
            "    " + ", ".join(cells) + ticks]  # fmt: skip


def summary(doc: dict[str, Any], path: Path) -> str:
    """What the terminal shows of the report: each step next to the raw loop's, the target."""
    p, raw, target = doc["pipeline"], doc["raw_two_hop"], doc["target"]
    at = p["saturated_at_step"]
    saturation = "not reached" if at is None else f"step {at + 1} ({p['saturation_reason']})"
    lines = [
        f"tick interval {doc['tick_interval_s']:g} s; saturation: {saturation}",
        f"{'':<34}{'offered/s':>10}{'decided/s':>10}{'households/s':>14}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}   intake: p50, p99 ms",
    ]
    once = {n["step"] for n in p["looked_saturated_once"]}
    for i, step in enumerate(p["steps"]):
        lines.append(_row(f"pipeline, step {i + 1}" + (" (*)" if i in once else ""), step))
        raw_step = raw["steps"][i] if i < len(raw["steps"]) else None
        lines.append(_row("  raw two-hop loop, same messages", raw_step, households=False))
    lines += [
        _row("half saturation, fresh pipeline", p["half_saturation"]),
        *_path(p["half_saturation"]),
        _row("  raw two-hop loop, same messages", raw["half_saturation"], households=False),
        _row("half saturation, after the climb", p.get("half_saturation_after_climb")),
        *_path(p.get("half_saturation_after_climb")),
        _row("raw two-hop loop, backlog", raw["backlog"], households=False),
        f"pipeline sustained {p['sustained_events_per_s'] or 0:,.0f} alerts/s"
        f" ({p['sustained_households_per_s'] or 0:,.0f} households/s); "
        + (
            "saturation not reached"
            if at is None
            else f"{p['saturation_events_per_s']:,.0f} alerts/s decided at the saturated step"
        ),
    ]
    if once:
        lines.append("(*) looked saturated, then followed when repeated: "
                     + "; ".join(n["reason"] for n in p["looked_saturated_once"]))  # fmt: skip
    verdict = {True: "holds", False: "does not hold", None: "not measured"}[target["holds"]]
    lines.append(f"target: {target['rule']}: {verdict} (p99 {target['p99_ms']} ms at"
                 f" {target['rate_per_s']:,.0f} alerts/s)")  # fmt: skip
    if target.get("after_climb_p99_ms") is not None:
        after = "holds" if target["after_climb_holds"] else "does not hold"
        lines.append(f"  on the climb's workers and the state it left: {after}"
                     f" (p99 {target['after_climb_p99_ms']} ms)")  # fmt: skip
    rss = doc["peak_rss_kib"]
    lines.append("peak RSS: " + ", ".join(
        f"{k} {v / 1024:,.0f} MiB" if v else f"{k} n/a" for k, v in rss.items()))  # fmt: skip
    lines.append(f"report: {path}")
    return "\n".join(lines)
