"""Comparing a figure with its peer, measured in the same run, interleaved: A B A B ...

Each sample records wall time, CPU time of this process and the load average when it ended,
because the machines these run on are shared: a wall figure taken at load 6 on 2 cores says
as much about the neighbours as about the code. Verdicts are on the median wall clock only;
CPU time is printed beside it, never used to turn a missed target into a pass.

    from bench._compare import interleave, report

    samples = interleave({"peer": run_peer, "project": run_project}, rounds=5)
    report(samples, baseline="peer", targets={"project": 0.5})
"""

import gc
import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench._django import machine_line


def load_average():
    """'1.2 / 0.9 / 0.7' (1, 5 and 15 minutes), or 'unknown'."""
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def load_1min():
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def refuse_out_of_range(parser, checks):
    """Stop with a message on an option outside its range: a benchmark never clamps an option
    silently, since its figure would then be for a run nobody asked for.
    `checks`: (option, value, lowest, highest)."""
    for name, value, low, high in checks:
        if not low <= value <= high:
            parser.error(f"{name} {value} is out of range: {low} to {high}")


# The bounds of a load run against a server (browse, cast_soak).
MAX_SECONDS = 1800
MAX_RATE = 2000


def load_run_limits(args):
    """refuse_out_of_range's checks for the options every load run has: its length, its rate,
    the server's workers and the baseline's length."""
    return (
        ("--seconds", args.seconds, 1, MAX_SECONDS),
        ("--rate", args.rate, 1, MAX_RATE),
        ("--workers", args.workers, 1, 4),
        ("--baseline-seconds", args.baseline_seconds, 1, args.seconds),
    )


@dataclass
class Sample:
    wall: float
    cpu: float
    load: float
    result: object = field(default=None, repr=False)


def _cpu(children):
    """CPU seconds of this process, and with `children` of the child processes it has
    waited for (a document printed in two processes uses two processes' CPU)."""
    if not children:
        return time.process_time()
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


def measure(fn, *, collect=True, children=False):
    """One timed call. With `collect`, the garbage the call left is collected inside the
    timing, so the next contender does not pay for it (interleaving would otherwise charge
    A's leftovers to B). What existed before the call is frozen first (gc.freeze), so that
    collection scans the call's own objects, not the whole benchmark process."""
    if collect:
        gc.collect()
        gc.freeze()
    wall, cpu = time.perf_counter(), _cpu(children)
    result = fn()
    if collect:
        gc.collect()
    return Sample(time.perf_counter() - wall, _cpu(children) - cpu, load_1min(), result)


def interleave(contenders, rounds, *, collect=True, between=None, children=False):
    """{name: [Sample, ...]}: every contender once per round, in the order given, `rounds`
    times (A B A B ..., never all A then all B). `between(round)` runs before each round,
    untimed (to make a fresh change, say). `children`: count the CPU of child processes the
    call waited for."""
    samples = {name: [] for name in contenders}
    for number in range(rounds):
        if between is not None:
            between(number)
        for name, fn in contenders.items():
            samples[name].append(measure(fn, collect=collect, children=children))
    return samples


@dataclass
class Summary:
    name: str
    best_wall: float
    median_wall: float
    best_cpu: float
    median_cpu: float
    loads: tuple
    runs: int

    def load_text(self):
        low, high = min(self.loads), max(self.loads)
        return f"{low:.1f}" if abs(high - low) < 0.05 else f"{low:.1f}–{high:.1f}"


def summarise(name, samples):
    walls = [s.wall for s in samples]
    cpus = [s.cpu for s in samples]
    return Summary(
        name,
        min(walls),
        statistics.median(walls),
        min(cpus),
        statistics.median(cpus),
        tuple(s.load for s in samples),
        len(samples),
    )


def verdict(wall, target, *, ratio=None, min_ratio=None):
    """'met' or 'missed', on the wall clock (and a ratio to the peer when one is asked)."""
    if target is None and min_ratio is None:
        return "—"
    ok = target is None or wall <= target
    if min_ratio is not None:
        ok = ok and ratio is not None and ratio >= min_ratio
    return "met" if ok else "missed"


def rows_for(samples, *, baseline=None, targets=None, unit=1.0, unit_name="s", digits=3):
    """Table rows: figure, best and median wall, best CPU, ratio to the peer, load, target,
    verdict. `targets` maps a name to a wall target (same unit) or (target, min_ratio)."""
    targets = targets or {}
    summaries = {name: summarise(name, s) for name, s in samples.items()}
    base = summaries.get(baseline)
    rows = []
    for name, summary in summaries.items():
        ratio = cpu_ratio = None
        if base is not None and name != baseline and summary.median_wall > 0:
            ratio = base.median_wall / summary.median_wall
            cpu_ratio = base.median_cpu / summary.median_cpu if summary.median_cpu else None
        target = targets.get(name)
        min_ratio = None
        if isinstance(target, tuple):
            target, min_ratio = target
        target_text = "—"
        if target is not None or min_ratio is not None:
            parts = []
            if target is not None:
                parts.append(f"≤ {target:g} {unit_name}")
            if min_ratio is not None:
                parts.append(f"≥ {min_ratio:g}× peer")
            target_text = ", ".join(parts)
        rows.append(
            [
                name,
                f"{summary.best_wall * unit:.{digits}f}",
                f"{summary.median_wall * unit:.{digits}f}",
                f"{summary.best_cpu * unit:.{digits}f}",
                "peer" if name == baseline else (f"{ratio:.2f}×" if ratio else "—"),
                "peer" if name == baseline else (f"{cpu_ratio:.2f}×" if cpu_ratio else "—"),
                summary.load_text(),
                target_text,
                verdict(
                    summary.median_wall * unit if target is not None else 0,
                    target,
                    ratio=ratio,
                    min_ratio=min_ratio,
                ),
            ]
        )
    return rows


HEADERS = [
    "figure",
    "best wall",
    "median wall",
    "best CPU",
    "peer ÷ this (median wall)",
    "peer ÷ this (median CPU)",
    "load (1 min)",
    "target",
    "verdict",
]


def print_rows(rows, headers=HEADERS):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    print("  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def markdown(title, command, rows, headers=HEADERS, *, notes=()):
    """The block for bench/RESULTS.md's current section."""
    date = subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()
    lines = [
        f"### {title}",
        "",
        f"- Date: {date or datetime.now(UTC).isoformat()}",
        f"- Machine: {machine_line()}; load average at the end {load_average()} "
        "(shared machine: wall time includes waiting for a core)",
        f"- Command: `{command}`",
        *[f"- {note}" for note in notes],
        "",
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(headers) - 3) + ["---", "---"]) + "|",
    ]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def report(title, command, samples, *, baseline=None, targets=None, notes=(), **kwargs):
    """Print the table and its markdown block; return the rows."""
    rows = rows_for(samples, baseline=baseline, targets=targets, **kwargs)
    print(f"\n{title}  (wall and CPU in {kwargs.get('unit_name', 's')}; load {load_average()})")
    print_rows(rows)
    print()
    print(markdown(title, command, rows, notes=notes))
    return rows
