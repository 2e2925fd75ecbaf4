"""The bench's one table, its targets, var/bench/report.md and var/bench/report.png."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.perf.profile import CaseProfile, format_case


@dataclass
class Row:
    scenario: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    x_rest: float | None
    x_bare: float | None
    sql_per_request: float | None
    failed: int = 0
    # Cores each part of the machine used meanwhile (CORE_KINDS), for wrk's scenarios.
    cores: dict[str, float] | None = None


# The parts of the machine whose CPU a scenario's "cores" counts.
CORE_KINDS = ("server", "PostgreSQL", "Redis", "wrk")


def cores_text(cores: dict[str, float]) -> str:
    return " / ".join(f"{cores[kind]:.2f}" for kind in CORE_KINDS)


@dataclass
class Target:
    """A target stated as a ratio that must reach `needed` (never fails the run)."""

    name: str
    ratio: float
    needed: float

    @property
    def met(self) -> bool:
        return self.ratio >= self.needed

    @property
    def shown(self) -> str:
        """The ratio with as many decimals as it takes not to read as the other verdict
        (0.7954 is 0.795, not the 0.80 it needs)."""
        digits = 2
        while digits < 6 and (round(self.ratio, digits) >= self.needed) != self.met:
            digits += 1
        return f"{self.ratio:.{digits}f}"


HEADER = (
    "scenario",
    "req/s",
    "p50 ms",
    "p99 ms",
    "x fair REST",
    "x bare",
    "SQL/req",
    "failed",
    "cores: " + " / ".join(CORE_KINDS),
    "CPU µs/req: server / all",
)


def cpu_per_request(row: Row) -> tuple[float, float] | None:
    """What one request cost in CPU: the server's, and the server's, PostgreSQL's and
    Redis's together (wrk's left out). A throughput on a shared machine hides where the work
    went: a REST read whose JSON PostgreSQL builds uses a second core the ratio does not show."""
    if row.cores is None or row.requests_per_second <= 0:
        return None
    per = 1e6 / row.requests_per_second
    served = sum(row.cores[kind] for kind in CORE_KINDS if kind != "wrk")
    return row.cores["server"] * per, served * per


def _cells(row: Row) -> tuple[str, ...]:
    def ratio(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f}x"

    return (
        row.scenario,
        f"{row.requests_per_second:.0f}"
        if row.requests_per_second >= 10
        else f"{row.requests_per_second:.1f}",
        f"{row.p50_ms:.1f}",
        f"{row.p99_ms:.1f}",
        ratio(row.x_rest),
        ratio(row.x_bare),
        "—" if row.sql_per_request is None else f"{row.sql_per_request:.1f}",
        str(row.failed),
        "—" if row.cores is None else cores_text(row.cores),
        "—" if (cpu := cpu_per_request(row)) is None else f"{cpu[0]:.0f} / {cpu[1]:.0f}",
    )


def text_table(rows: Sequence[Row]) -> str:
    cells = [HEADER, *(_cells(r) for r in rows)]
    widths = [max(_width(c[i]) for c in cells) for i in range(len(HEADER))]
    lines = []
    for n, line in enumerate(cells):
        parts = [_pad(line[0], widths[0], left=True)]
        parts += [_pad(v, w, left=False) for v, w in zip(line[1:], widths[1:], strict=True)]
        lines.append("  ".join(parts))
        if n == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def _width(text: str) -> int:
    # CJK characters take two columns on a terminal.
    return sum(2 if "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" else 1 for c in text)


def _pad(text: str, width: int, *, left: bool) -> str:
    gap = " " * (width - _width(text))
    return text + gap if left else gap + text


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    return "\n".join(lines)


def targets_text(targets: Sequence[Target]) -> str:
    return "\n".join(
        f"{'met    ' if t.met else 'NOT MET'}  {t.name}: {t.shown} (needs {t.needed:.2f})"
        for t in targets
    )


def memory_text(memory: dict[str, Any]) -> str:
    lines = []
    for key, label in (
        ("api_rss_after_start_mib", "API process RSS after start"),
        ("api_rss_after_reads_mib", "API process RSS after the reads"),
        ("api_rss_after_load_mib", "API process RSS after the reads and writes"),
    ):
        if key in memory:
            lines.append(f"{label}: {memory[key]:.0f} MiB")
    for key, label in (
        ("two_workers_after_start", "2 workers after start"),
        ("two_workers_after_load", "2 workers after the signed-in guide load"),
    ):
        workers = memory.get(key) or []
        if workers:
            each = ", ".join(f"RSS {w['rss']:.0f} MiB / USS {w['uss']:.0f} MiB" for w in workers)
            lines.append(f"{label}: {each}")
    return "\n".join(lines)


def _samples(values: Sequence[float]) -> str:
    return "/".join(f"{value:.1f}" for value in values)


def chart(path: Path, rows: Sequence[Row]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r.scenario for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 0.42 * len(rows) + 1.5), sharey=True)
    colours = ["#888888" if r.scenario.startswith(("REST", "bare")) else "#c0392b" for r in rows]
    left.barh(names, [r.requests_per_second for r in rows], color=colours)
    left.set_xscale("log")
    left.set_xlabel("requests per second (log scale)")
    left.invert_yaxis()
    right.barh(names, [r.p99_ms for r in rows], color=colours)
    right.set_xscale("log")
    right.set_xlabel("p99 latency, ms (log scale)")
    for axis in (left, right):
        axis.grid(axis="x", which="both", alpha=0.3)
    fig.suptitle("make bench: throughput and p99 per scenario (grey: baselines)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(
    out: Path,
    rows: Sequence[Row],
    targets: Sequence[Target],
    memory: dict[str, Any],
    first_search: dict[str, Any],
    machine: str,
    profiles: Sequence[CaseProfile],
) -> None:
    search = (
        f"first search after start {first_search['first_ms']:.1f} ms, "
        f"hundredth {first_search['hundredth_ms']:.1f} ms (medians of "
        f"{len(first_search.get('firsts_ms', []))} fresh processes: firsts "
        f"{_samples(first_search.get('firsts_ms', []))}, hundredths "
        f"{_samples(first_search.get('hundredths_ms', []))}; the same keywords, "
        f"{', '.join(first_search.get('keywords', []))}, each new to its process, each "
        "after the same half second of idling)"
        + "".join(f"; FAILED {e}" for e in first_search.get("errors", []))
        if first_search
        else ""
    )
    print("\n" + text_table(rows))
    print("\n" + search)
    print("\n" + memory_text(memory))
    print("\ntargets (ratios from this run; a target never fails the run):")
    print(targets_text(targets))
    notes = (
        "Reads: wrk, one thread, 16 connections. Scenarios that targets compare with each "
        "other run in turns, three rounds, each reported by its median round, and such a "
        "target is the median of the rounds' own ratios (the machine's speed drifts over "
        "minutes): bare Starlette with the cached page; bare Starlette again, the REST guide, "
        "the searches, the uncached and signed-in guides and two workers, whose `x bare` is "
        "against the bare Starlette of their own rounds. Writes: wrk the same way (closed loop) "
        "and an open-loop client at the target rate (latency from each request's scheduled "
        "start). `guide uncached` and the searches run on the app with its response cache "
        "off, each request asking for another guide or word; `page cached` and `guide signed "
        "in` on `rongban serve` with default settings (access log at INFO). SQL/req: "
        "statements sent per request, counted on asyncpg's connections in-process on the "
        "same database (pool resets not counted; `make bench-profile` lists them). Cores: "
        "CPU time used during the scenario per second of it, by the Python processes other "
        "than the bench's (the server measured; the others idle), PostgreSQL, Redis and wrk; "
        "the machine's cores are its ceiling. CPU µs/req: those cores over the requests "
        "answered, the server's alone and with PostgreSQL's and Redis's."
    )
    body = [
        f"# make bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine}.",
        "",
        markdown_table(rows),
        "",
        notes,
        "",
        search,
        "",
        "## Memory",
        "",
        memory_text(memory),
        "",
        "## Targets",
        "",
        "```",
        targets_text(targets),
        "```",
        "",
        "![throughput and p99](report.png)",
        "",
    ]
    (out / "report.md").write_text("\n".join(body), encoding="utf-8")
    chart(out / "report.png", rows)
    if profiles:
        (out / "profile.md").write_text(
            "# make bench-profile\n\n" + "\n".join(format_case(p) for p in profiles),
            encoding="utf-8",
        )
