"""How fast the documents print: a 20-page minutes document and 300 personalised ballots.

    .venv/bin/python -m bench.pdf            # from the repository root
    .venv/bin/python -m bench.pdf --quick    # fewer repetitions, no fontTools baseline

Baselines, measured in the same run on the same HTML:
- naive, fontTools: WeasyPrint as it runs without Debian's libharfbuzz-subset0 (it subsets
  the 65,000-glyph Noto CJK faces with fontTools): the 7-9 s the issue describes;
- naive, HarfBuzz: a plain HTML(...).write_pdf() with a fresh font configuration and the
  stylesheet parsed on every call;
- project: deliberation.documents.pdf.render_pdf (shared FontConfiguration and parsed
  stylesheet, HarfBuzz subsetting required by a system check).
Both wall and CPU time are printed: other processes on a shared machine inflate wall time.
"""

import io
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench._django import ROOT, machine_line, print_table, setup_django, teardown_django

QUICK = "--quick" in sys.argv
RESULTS = ROOT / "bench" / "RESULTS.md"


def timed(fn, runs):
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), result


def page_count(pdf):
    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def minutes_of(pages):
    """The sample minutes context that prints exactly `pages` pages (or the nearest)."""
    from deliberation.documents import samples
    from deliberation.documents.pdf import render_pdf
    from meetings.records import prepare_meeting_record

    best = None
    for size in range(max(1, pages - 9), pages + 6):
        context = prepare_meeting_record(samples.sample_minutes(pages=size))
        got = page_count(render_pdf("documents/minutes.html", context))
        if best is None or abs(got - pages) < abs(best[1] - pages):
            best = (context, got)
        if got >= pages:
            break
    return best


def naive(html, fonttools=False):
    """What a first attempt does: a new font configuration and stylesheet every time."""
    import weasyprint.pdf.fonts as weasy_fonts
    from weasyprint import CSS, HTML

    from deliberation.documents.pdf import STATIC_ROOT_DIR, STYLESHEET

    saved = weasy_fonts.harfbuzz_subset
    if fonttools:
        weasy_fonts.harfbuzz_subset = None  # as on a machine without libharfbuzz-subset0
    try:
        return HTML(string=html, base_url=str(STATIC_ROOT_DIR)).write_pdf(
            stylesheets=[CSS(filename=str(STYLESHEET))]
        )
    finally:
        weasy_fonts.harfbuzz_subset = saved


def shared(html, **options):
    """The project's set-up with one of WeasyPrint's write_pdf options, to measure each."""
    from weasyprint import HTML

    from deliberation.documents.pdf import STATIC_ROOT_DIR, font_config, stylesheet, url_fetcher

    document = HTML(string=html, base_url=str(STATIC_ROOT_DIR), url_fetcher=url_fetcher())
    return document.write_pdf(stylesheets=[stylesheet()], font_config=font_config(), **options)


def load_average():
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def main():
    setup_django(name="pdf")
    import logging

    from django.utils import translation

    from deliberation.documents import contexts, samples
    from deliberation.documents.pdf import document_html, render_pdf

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    translation.activate("zh-hans")
    runs = 2 if QUICK else 5
    load_before = load_average()

    minutes, pages = minutes_of(20)
    html = document_html("documents/minutes.html", minutes)
    render_pdf("documents/minutes.html", minutes)  # warm: fonts found, stylesheet parsed
    project = timed(lambda: render_pdf("documents/minutes.html", minutes), runs)
    plain = timed(lambda: naive(html), runs)
    slow = None if QUICK else timed(lambda: naive(html, fonttools=True), 1)
    options = {
        name: timed(lambda kw=kw: shared(html, **kw), 2)
        for name, kw in (
            ("uncompressed_pdf=True", {"uncompressed_pdf": True}),
            ("hinting=True", {"hinting": True}),
            ("full_fonts=True (no subsetting)", {"full_fonts": True}),
        )
    }

    raw_ballots = samples.sample_ballots(300)
    ballots = contexts.with_ballot_codes(raw_ballots)
    batch = timed(  # QR codes included
        lambda: render_pdf("documents/ballots.html", contexts.with_ballot_codes(raw_ballots)),
        1 if QUICK else 2,
    )
    sample = 30
    singles = timed(
        lambda: [
            render_pdf("documents/ballots.html", {**ballots, "sheets": [sheet]})
            for sheet in ballots["sheets"][:sample]
        ],
        1,
    )
    load_after = load_average()

    baseline = slow if slow else plain
    base_name = "naive, fontTools subsetting" if slow else "naive, HarfBuzz subsetting"

    def ratio(figure):
        return f"{baseline[0] / figure[0]:.1f}× faster" if figure is not baseline else "1.0×"

    def kb(pdf):
        return f"{len(pdf) / 1024:,.0f} KB"

    scale = 300 / sample
    rows = []
    if slow:
        rows.append(
            [
                f"minutes, {pages} pages: {base_name} (baseline)",
                f"{slow[0]:.2f}",
                f"{slow[1]:.2f}",
                "1.0×",
                kb(slow[2]),
                "—",
                "—",
            ]
        )
    rows += [
        [
            f"minutes, {pages} pages: naive, HarfBuzz subsetting",
            f"{plain[0]:.2f}",
            f"{plain[1]:.2f}",
            ratio(plain),
            kb(plain[2]),
            "—",
            "—",
        ],
        [
            f"minutes, {pages} pages: project (render_pdf)",
            f"{project[0]:.2f}",
            f"{project[1]:.2f}",
            ratio(project),
            kb(project[2]),
            "≤ 1 s",
            "pass" if project[0] <= 1 else ("pass on CPU" if project[1] <= 1 else "fail"),
        ],
    ]
    rows += [
        [f"minutes: project + {name}", f"{fig[0]:.2f}", f"{fig[1]:.2f}", ratio(fig), kb(fig[2])]
        + ["—", "—"]
        for name, fig in options.items()
    ]
    rows += [
        [
            f"300 ballots, one document ({page_count(batch[2])} pages)",
            f"{batch[0]:.2f}",
            f"{batch[1]:.2f}",
            "—",
            kb(batch[2]),
            "≤ 10 s",
            "pass" if batch[0] <= 10 else ("pass on CPU" if batch[1] <= 10 else "fail"),
        ],
        [
            f"300 ballots, one render each (×{scale:.0f} of {sample})",
            f"{singles[0] * scale:.2f}",
            f"{singles[1] * scale:.2f}",
            "—",
            f"{sum(len(p) for p in singles[2]) * scale / 1024:,.0f} KB",
            "—",
            "—",
        ],
    ]
    headers = ["figure", "wall s", "CPU s", "vs baseline", "size", "target", "result"]
    print(f"best of {runs}; load average before {load_before}, after {load_after}")
    print_table(rows, headers)

    if not QUICK:
        date = subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()
        lines = [
            "",
            f"## pdf — a {pages}-page Chinese minutes document and 300 paper ballots",
            "",
            f"- Date: {date or datetime.now(UTC).isoformat()}",
            f"- Machine: {machine_line()}; load average {load_before} before, "
            f"{load_after} after (a shared machine: wall time includes waiting for the CPU)",
            "- Command: `.venv/bin/python -m bench.pdf` (from the repository root)",
            "",
            "| " + " | ".join(headers) + " |",
            "|" + "|".join(["---"] + ["---:"] * 4 + ["---", "---"]) + "|",
        ]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
        with RESULTS.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    teardown_django()
    return project, batch


if __name__ == "__main__":
    main()
