"""How fast the documents print, against plain WeasyPrint on the same HTML in the same run.

    .venv/bin/python -m bench.pdf                 # from the repository root
    .venv/bin/python -m bench.pdf --rounds 3      # fewer rounds
    .venv/bin/python -m bench.pdf --profile       # where a warm minutes render spends its time
    .venv/bin/python -m bench.pdf --only minutes  # the minutes alone (or --only ballots)

The peer is what anyone would write with WeasyPrint and Debian's HarfBuzz subsetting: a fresh
FontConfiguration and stylesheet per call, `HTML(string=...).write_pdf(stylesheets=[CSS(...)])`,
fed exactly the HTML `render_pdf` prints from. Interleaved, round by round:

- minutes, peer: plain WeasyPrint on this round's minutes;
- minutes, first render: `render_pdf` on the same minutes (new text: the fonts are warm, the
  glyph subset is new);
- minutes, warm: `render_pdf` on the same minutes again (the target's "warm"): besides the
  fonts, it finds the lines it measured and drew the time before
  (plumbing/weasyprint_speedups.py), which the first render of a text finds only for the
  texts it repeats (names, headings) or shares with earlier minutes;
- 300 ballots: plain WeasyPrint on the ballots' HTML, then `render_pdf` from the sheets
  (QR codes included), which prints them in two processes (one per core) and joins the
  halves when a core is free (1-minute load average below the cores), else in one; its CPU
  time is both processes'; and `render_pdf` in one process
  (DOCUMENT_PROCESSES = 1), to show what the second core gives in the same run.

Each round of minutes is a different text (another seed), so "first render" is honest. Wall
and CPU time and the load average are printed per figure; the verdict is on the wall clock.
"""

import argparse
import io
import logging

from bench._compare import interleave, load_average, report
from bench._django import setup_django, teardown_django

MINUTES_TARGET = 0.5  # s, warm, and at least 2× the peer
BALLOTS_TARGET = 5.0  # s, 300 sheets in one PDF


def page_count(pdf):
    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def minutes_size(pages):
    """The sample size whose minutes print `pages` pages (seed 1), or the nearest."""
    from deliberation.documents import samples
    from deliberation.documents.pdf import render_pdf
    from meetings.records import prepare_meeting_record

    best = None
    for size in range(max(1, pages - 9), pages + 6):
        context = prepare_meeting_record(samples.sample_minutes(pages=size))
        got = page_count(render_pdf("documents/minutes.html", context))
        if best is None or abs(got - pages) < abs(best[1] - pages):
            best = (size, got)
        if got >= pages:
            break
    return best


def plain_weasyprint(html):
    """The peer: a fresh font configuration and stylesheet on every call."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from deliberation.documents.pdf import STATIC_ROOT_DIR, STYLESHEET

    fonts = FontConfiguration()
    css = CSS(filename=str(STYLESHEET), font_config=fonts)
    document = HTML(string=html, base_url=str(STATIC_ROOT_DIR))
    return document.write_pdf(stylesheets=[css], font_config=fonts)


def one_process(render, *args):
    """`render` with the second process turned off: what the second core gives, in this run."""
    from django.test import override_settings

    with override_settings(DOCUMENT_PROCESSES=1):
        return render(*args)


def profile_minutes(size):
    import cProfile
    import pstats

    from deliberation.documents import samples
    from deliberation.documents.pdf import render_pdf
    from meetings.records import prepare_meeting_record

    context = prepare_meeting_record(samples.sample_minutes(pages=size))
    render_pdf("documents/minutes.html", context)
    profiler = cProfile.Profile()
    profiler.enable()
    render_pdf("documents/minutes.html", context)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of minutes (default 5)")
    parser.add_argument("--ballot-rounds", type=int, default=2, help="rounds of 300 ballots")
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--only", choices=("minutes", "ballots"), help="one of the two tables")
    args = parser.parse_args()

    setup_django(name="pdf")
    from django.utils import translation

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    translation.activate("zh-hans")
    print(f"load average at start: {load_average()}")

    if args.only != "ballots":
        print_minutes(args)
    if args.only != "minutes":
        print_ballots(args)
    teardown_django()


def print_minutes(args):
    from deliberation.documents import samples
    from deliberation.documents.pdf import document_html, render_pdf
    from meetings.records import prepare_meeting_record

    size, pages = minutes_size(args.pages)
    if args.profile:
        profile_minutes(size)
        return

    current = {}

    def next_minutes(number):
        context = prepare_meeting_record(samples.sample_minutes(pages=size, seed=100 + number))
        current["context"] = context
        current["html"] = document_html("documents/minutes.html", context)

    minutes = interleave(
        {
            "minutes, plain WeasyPrint (peer)": lambda: plain_weasyprint(current["html"]),
            "minutes, render_pdf, first render": lambda: render_pdf(
                "documents/minutes.html", current["context"]
            ),
            "minutes, render_pdf, warm (same again)": lambda: render_pdf(
                "documents/minutes.html", current["context"]
            ),
        },
        args.rounds,
        between=next_minutes,
    )
    printed = [page_count(s.result) for s in minutes["minutes, render_pdf, warm (same again)"]]
    span = f"{min(printed)}" if min(printed) == max(printed) else f"{min(printed)}–{max(printed)}"
    title = f"pdf: {pages}-page Chinese minutes ({span} pages each round)"
    report(
        title,
        "python -m bench.pdf",
        minutes,
        baseline="minutes, plain WeasyPrint (peer)",
        targets={"minutes, render_pdf, warm (same again)": (MINUTES_TARGET, 2.0)},
        notes=[f"{args.rounds} rounds, a different text each round, interleaved A B C"],
    )


def print_ballots(args):
    from deliberation.documents import contexts, samples
    from deliberation.documents.pdf import document_html, render_pdf

    raw = samples.sample_ballots(300)
    ballot_html = document_html("documents/ballots.html", contexts.with_ballot_codes(raw))
    ballots = interleave(
        {
            "300 ballots, plain WeasyPrint (peer)": lambda: plain_weasyprint(ballot_html),
            "300 ballots, render_pdf (QR codes included)": lambda: render_pdf(
                "documents/ballots.html", contexts.with_ballot_codes(raw)
            ),
            "300 ballots, render_pdf in one process": lambda: one_process(
                render_pdf, "documents/ballots.html", contexts.with_ballot_codes(raw)
            ),
        },
        args.ballot_rounds,
        children=True,  # render_pdf prints half the sheets in a second process
    )
    sheets = page_count(ballots["300 ballots, render_pdf (QR codes included)"][0].result)
    report(
        f"pdf: 300 personalised ballots in one PDF ({sheets} pages)",
        "python -m bench.pdf",
        ballots,
        baseline="300 ballots, plain WeasyPrint (peer)",
        targets={"300 ballots, render_pdf (QR codes included)": BALLOTS_TARGET},
        notes=[
            f"{args.ballot_rounds} rounds, interleaved A B C",
            "CPU time of render_pdf counts both processes'",
        ],
    )


if __name__ == "__main__":
    main()
