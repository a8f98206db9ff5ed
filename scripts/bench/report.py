"""The figures of ``bench_serve.py``: runs collected, medians and ranges, targets, the table.

Failed runs (any non-2xx or socket error) are counted but left out of every median.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from .workload import CEILING, SERVICE, Workload
from .wrk import WrkResult


@dataclass
class Results:
    runs: dict[tuple[str, str], list[WrkResult]] = field(default_factory=dict)  # (workload, server)
    sequential_ms: dict[str, list[float]] = field(default_factory=dict)  # body label -> per-round medians
    environment: dict[str, Any] = field(default_factory=dict)

    def add(self, workload: str, server: str, result: WrkResult) -> None:
        self.runs.setdefault((workload, server), []).append(result)


@dataclass(frozen=True)
class Target:
    text: str
    path: tuple[str, ...]  # keys into the summary, down to a spread; its median is judged
    check: Callable[[float], bool]
    form: str  # how the value is shown


def present(values: Iterable[float | None]) -> list[float]:
    return [value for value in values if value is not None]


def spread(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "min": None, "max": None}
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def cpu_text(result: WrkResult) -> str:
    server = result.cpu_ms_per_request(result.server_cpu_s)
    client = result.cpu_ms_per_request(result.client_cpu_s)
    return "CPU ms/request: " + "  ".join(
        f"{who} {value:.3f}" for who, value in (("server", server), ("wrk", client)) if value is not None
    )


def summarize(results: Results, workloads: list[Workload], targets: list[Target]) -> dict[str, Any]:
    summary: dict[str, Any] = {"workloads": {}, "ratios": {}, "sequential": {}}
    for workload in workloads:
        entry = summary["workloads"][workload.name] = {"description": workload.description}
        for server in workload.servers:
            entry[server] = _server_figures(results.runs.get((workload.name, server), []), workload.rows)
        if workload.against_ceiling:
            summary["ratios"] |= _ceiling_ratios(workload.name, results)
    names = {workload.name for workload in workloads}
    if {"single", "training"} <= names:
        summary["ratios"]["training_over_idle"] = _during_ratio("training", "single", results)
    for rows, medians in results.sequential_ms.items():
        summary["sequential"][f"{rows}_rows_ms"] = spread(medians)
    for big, small in (("1000", "1"), ("1000_flagged", "1000")):
        if {big, small} <= results.sequential_ms.keys():
            pairs = zip(results.sequential_ms[small], results.sequential_ms[big], strict=True)
            summary["sequential"][f"ratio_{big}_over_{small}"] = spread([b / s for s, b in pairs])
    summary["targets"] = [_judge(target, summary) for target in targets]
    return summary


def _server_figures(runs: list[WrkResult], rows: int) -> dict[str, Any]:
    good = [run for run in runs if run.ok]
    return {
        "runs": [asdict(run) | {"requests_per_s": run.requests_per_s, "ok": run.ok} for run in runs],
        "failed_runs": len(runs) - len(good),
        "requests_per_s": spread([run.requests_per_s for run in good]),
        "rows_per_s": spread([run.requests_per_s * rows for run in good]),
        "p50_ms": spread([run.p50_ms for run in good]),
        "p99_ms": spread([run.p99_ms for run in good]),
        "server_cpu_ms_per_request": spread(
            present(run.cpu_ms_per_request(run.server_cpu_s) for run in good)
        ),
        "client_cpu_ms_per_request": spread(
            present(run.cpu_ms_per_request(run.client_cpu_s) for run in good)
        ),
    }


def _during_ratio(busy: str, idle: str, results: Results) -> Any:
    """The service's requests/s under ``busy`` over ``idle``, within each round."""
    pairs = zip(results.runs[(busy, SERVICE)], results.runs[(idle, SERVICE)], strict=True)
    return spread([b.requests_per_s / i.requests_per_s for b, i in pairs if b.ok and i.ok])


def _ceiling_ratios(name: str, results: Results) -> dict[str, Any]:
    """Service over ceiling within each round: requests/s, and ceiling over service CPU per request.

    The CPU ratio is the throughput ratio the two would reach with the cores to themselves;
    unlike requests/s it barely moves when other processes compete for the CPU.
    """
    pairs = zip(results.runs[(name, SERVICE)], results.runs[(name, CEILING)], strict=True)
    pairs = [(service, ceiling) for service, ceiling in pairs if service.ok and ceiling.ok]
    cpu = [
        (ceiling.cpu_ms_per_request(ceiling.server_cpu_s), service.cpu_ms_per_request(service.server_cpu_s))
        for service, ceiling in pairs
    ]
    return {
        f"{name}_service_over_ceiling": spread([s.requests_per_s / c.requests_per_s for s, c in pairs]),
        f"{name}_cpu_ceiling_over_service": spread([c / s for c, s in cpu if c and s]),
    }


def _judge(target: Target, summary: dict[str, Any]) -> dict[str, Any]:
    node: Any = summary
    for key in target.path:
        node = node.get(key) if isinstance(node, dict) else None
    value = node.get("median") if isinstance(node, dict) else None
    return {
        "target": target.text,
        "value": value,
        "met": None if value is None else bool(target.check(value)),
        "shown": "n/a" if value is None else target.form.format(value),
    }


def render(summary: dict[str, Any], environment: dict[str, Any], load: str, sequential: int) -> str:
    lines = [
        "environment: " + ", ".join(f"{key}={value}" for key, value in environment.items()),
        f"load: {load}; median [min-max] over rounds",
        "",
        *_table(summary),
        "",
    ]
    notes = {
        "service_over_ceiling": "requests/s within each round",
        "cpu_ceiling_over_service": "server CPU per request within each round",
        "training_over_idle": "single-row requests/s while a /train job runs over idle, within each round",
    }
    for key, stat in summary["ratios"].items():
        note = next(text for suffix, text in notes.items() if key.endswith(suffix))
        lines.append(f"{key}: {_cell(stat, '{:.1%}')}  ({note})")
    for key, stat in summary["sequential"].items():
        form = "{:.2f}x" if key.startswith("ratio") else "{:.2f}"
        lines.append(f"sequential {key}: {_cell(stat, form)}  (median of {sequential} per round)")
    lines += ["", "targets:"]
    lines += [
        f"  [{'met' if t['met'] else 'MISSED' if t['met'] is False else 'n/a'}] {t['target']}: {t['shown']}"
        for t in summary["targets"]
    ]
    return "\n".join(lines)


def _table(summary: dict[str, Any]) -> list[str]:
    rows = [
        ("workload", "server", "ok runs", "requests/s", "rows/s", "p50 ms", "p99 ms", "server CPU ms/req")
    ]
    for name, entry in summary["workloads"].items():
        for server in (SERVICE, CEILING):
            if server not in entry:
                continue
            stats = entry[server]
            runs = len(stats["runs"])
            rows.append(
                (
                    name,
                    server,
                    f"{runs - stats['failed_runs']}/{runs}",
                    _cell(stats["requests_per_s"], "{:.0f}"),
                    _cell(stats["rows_per_s"], "{:.0f}"),
                    _cell(stats["p50_ms"], "{:.2f}"),
                    _cell(stats["p99_ms"], "{:.2f}"),
                    _cell(stats["server_cpu_ms_per_request"], "{:.3f}"),
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            text.ljust(width) if i < 2 else text.rjust(width)
            for i, (text, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def _cell(stat: dict[str, Any], form: str) -> str:
    if stat["median"] is None:
        return "n/a"
    low, high = form.format(stat["min"]), form.format(stat["max"])
    return f"{form.format(stat['median'])} [{low}-{high}]"
