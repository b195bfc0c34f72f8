"""The printed table: one row per implementation, ratios and targets next to walnats."""

from __future__ import annotations

from ._results import ImplResult, Report, ScenarioResult

__all__ = ["render"]

_HEADER = (
    "#",
    "scenario",
    "implementation",
    "rate (events/s)",
    "min-max",
    "ratio",
    "target",
    "other ratios",
    "µs/ev py",
    "µs/ev srv",
    "RSS MB",
)
_RIGHT = {3, 4, 5, 8, 9, 10}


def render(report: Report) -> str:
    """The whole table as text, with a header line and notes below."""
    meta = report.meta
    lines = [
        f"walnats benchmarks — nats-server {meta['nats_server']} ({meta['storage']} storage), "
        f"{meta['loop']} loop, Python {meta['python']}, {meta['cpus']} CPUs, "
        f"{meta['payload_bytes']}-byte payload, N={meta['n']}, {meta['rounds']} rounds"
        + (" (quick)" if meta["quick"] else ""),
        (
            f"commit {meta['commit']}, load average at start / end: "
            f"{meta['load_before']:.2f} / {meta['load_after']:.2f}"
        ),
        "",
    ]
    items: list[tuple[int, list[tuple[str, ...]]]] = [
        (result.scenario.number, _scenario_rows(result)) for result in report.results
    ]
    items.extend(
        (p.number, [(str(p.number), p.title, f"pending: {p.waits_for}") + ("",) * 8])
        for p in report.pending
    )
    rows: list[tuple[str, ...]] = [_HEADER]
    for _, scenario_rows in sorted(items, key=lambda item: item[0]):
        rows.extend(scenario_rows)
    lines.extend(_format(rows))
    lines.append("")
    lines.append(
        "ratio: walnats / raw nats-py helper, median of per-round ratios (latency: p50 / p50; "
        "memory: RSS growth after the first 25 %, MB). µs/ev: CPU time per event, median of "
        "rounds. RSS: peak of the Python process during the runs."
    )
    return "\n".join(lines)


def _scenario_rows(result: ScenarioResult) -> list[tuple[str, ...]]:
    scenario = result.scenario
    rows: list[tuple[str, ...]] = []
    for index, impl_result in enumerate(result.impls):
        first = index == 0
        if impl_result.skipped is not None:
            rows.append(
                (
                    str(scenario.number) if first else "",
                    scenario.title if first else "",
                    impl_result.impl.name,
                    f"skipped: {impl_result.skipped}",
                )
            )
            continue
        rows.append(
            (
                str(scenario.number) if first else "",
                scenario.title if first else "",
                impl_result.impl.name,
                *_value(result, impl_result),
                *_target(result, impl_result),
                _others(result, impl_result),
                _cpu(impl_result.cpu_py_us),
                _cpu(impl_result.cpu_server_us),
                f"{impl_result.rss_peak_mb:.0f}",
            )
        )
    return rows


def _others(result: ScenarioResult, impl_result: ImplResult) -> str:
    texts = [
        f"{result.ratio(impl_result, other):.2f}x {other}"
        for other in impl_result.impl.compare
        if result.get(other).skipped is None
    ]
    blocks = impl_result.extra("growth_blocks")
    if result.scenario.metric == "memory" and blocks is not None:
        texts.append(f"heap blocks {blocks:+,.0f} after 25 %")
    return ", ".join(texts)


def _value(result: ScenarioResult, impl_result: ImplResult) -> tuple[str, str]:
    if result.scenario.metric == "latency":
        p50 = impl_result.extra("p50_ms") or 0.0
        p99 = impl_result.extra("p99_ms") or 0.0
        return f"p50 {p50:.3f} ms", f"p99 {p99:.3f} ms"
    rates = impl_result.rates
    unit = result.scenario.unit
    suffix = "" if unit == "events/s" else f" {unit}"
    return f"{_number(impl_result.rate)}{suffix}", f"{_number(min(rates))}-{_number(max(rates))}"


def _cpu(us: float) -> str:
    return f"{us:.1f}" if us < 1000 else f"{us:,.0f}"


def _number(rate: float) -> str:
    return f"{rate:,.0f}" if rate >= 100 else f"{rate:.2f}"


def _target(result: ScenarioResult, impl_result: ImplResult) -> tuple[str, str]:
    check = result.check(impl_result)
    if check is None:
        return "", ""
    mark = "✓" if check.met else "✗"
    if check.target.reference is None:
        return f"+{check.number:.1f} MB", f"{check.target} MB {mark}"
    return f"{check.number:.2f}", f"{check.target} {mark}"


def _format(rows: list[tuple[str, ...]]) -> list[str]:
    """Aligned columns; the last cell of a short row (a skipped one) spans the rest."""
    full = [row for row in rows if len(row) == len(_HEADER)]
    widths = [max(len(row[i]) for row in full) for i in range(len(_HEADER))]
    out = []
    for number, row in enumerate(rows):
        spanning = len(row) < len(_HEADER)
        cells = [
            cell
            if spanning and i == len(row) - 1
            else cell.rjust(widths[i])
            if i in _RIGHT
            else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        out.append("  ".join(cells).rstrip())
        if number == 0:
            out.append("  ".join("-" * w for w in widths))
    return out
