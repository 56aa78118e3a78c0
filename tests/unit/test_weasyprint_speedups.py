"""The stand-ins of plumbing/weasyprint_speedups.py print the same PDF, to the byte, as
WeasyPrint's own functions, whether the lines were measured before or not; outside a render
WeasyPrint is left as it was."""

import contextlib

import pytest
from django.utils import translation

from deliberation.documents import contexts, pdf, samples
from meetings.records import prepare_meeting_record
from plumbing import weasyprint_speedups


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def no_lines_kept():
    forget_lines()
    yield
    forget_lines()


def forget_lines():
    weasyprint_speedups._lines.clear()
    weasyprint_speedups._kept["characters"] = 0
    weasyprint_speedups._drawn.clear()
    weasyprint_speedups._drawn_kept["characters"] = 0
    weasyprint_speedups._struts.clear()


def printed(html, *, speedups):
    if speedups:
        return pdf._render(html)
    original = pdf.faster_weasyprint
    pdf.faster_weasyprint = contextlib.nullcontext
    try:
        return pdf._render(html)
    finally:
        pdf.faster_weasyprint = original


# The same sentences in the styles that change where a line breaks: the kept lines must
# tell them apart.
STYLED = """<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><style>
html { font-family: "Noto Sans CJK SC"; font-size: 11pt; }
.narrow { width: 60mm; } .bold { font-weight: bold; } .big { font-size: 14pt; }
.spaced { letter-spacing: 1pt; } .words { word-spacing: 6pt; } .nowrap { white-space: nowrap; }
.anywhere { overflow-wrap: anywhere; } .serif { font-family: "Noto Serif CJK SC"; }
.justify { text-align: justify; } .en { hyphens: auto; }
</style></head><body>
{paragraphs}
</body></html>"""
SENTENCE = (
    "业主大会决定对3号楼2单元1502室外墙渗水问题进行维修，维修资金从专项维修资金中列支，"
    "施工期间请各位居民注意安全 https://example.org/a-very-long-link-without-spaces-at-all "
    "and some English words to hyphenate internationalization responsibilities"
)
CLASSES = (
    "",
    "narrow",
    "bold",
    "big",
    "spaced",
    "words",
    "nowrap",
    "anywhere narrow",
    "serif",
    "justify narrow",
    "en narrow",
)


def styled_html():
    paragraphs = "\n".join(
        f'<p class="{name}" lang="{"en" if "en" in name else "zh-Hans"}">{SENTENCE}</p>'
        for name in CLASSES
    )
    # Characters the document fonts lack: drawn from another font, or as .notdef.
    paragraphs += "\n<p>符号 \U00013000 \u263a \U0001f600</p>" * 2
    return STYLED.replace("{paragraphs}", paragraphs)


def document_htmls():
    return [
        pdf.document_html(
            "documents/minutes.html", prepare_meeting_record(samples.sample_minutes(3))
        ),
        pdf.document_html(
            "documents/ballots.html", contexts.with_ballot_codes(samples.sample_ballots(count=2))
        ),
        pdf.document_html("documents/notice.html", samples.sample_notice()),
        pdf.document_html("documents/vote_result.html", samples.sample_vote_result()),
        styled_html(),
    ]


def test_each_document_prints_the_same_bytes_with_the_stand_ins(no_lines_kept):
    htmls = document_htmls()
    expected = [printed(html, speedups=False) for html in htmls]
    first = [printed(html, speedups=True) for html in htmls]  # lines measured here
    again = [printed(html, speedups=True) for html in htmls]  # lines found kept
    assert first == expected
    assert again == expected


def test_a_render_keeps_the_lines_it_measured_and_drew(no_lines_kept):
    pdf.render_pdf("documents/notice.html", samples.sample_notice())
    assert weasyprint_speedups._lines
    assert weasyprint_speedups._drawn
    assert weasyprint_speedups._struts


def test_the_lines_kept_stay_within_their_bounds(no_lines_kept, monkeypatch):
    monkeypatch.setattr(weasyprint_speedups, "CHARACTERS_KEPT", 500)
    monkeypatch.setattr(weasyprint_speedups, "DRAWN_CHARACTERS_KEPT", 300)
    printed(styled_html(), speedups=True)
    measured = sum(len(key[0]) for key in weasyprint_speedups._lines)
    assert measured == weasyprint_speedups._kept["characters"] <= 500
    drawn = sum(len(key[0]) for key in weasyprint_speedups._drawn)
    assert drawn == weasyprint_speedups._drawn_kept["characters"] <= 300


def test_outside_a_render_weasyprint_has_its_own_functions():
    from weasyprint.layout import block, inline, percent
    from weasyprint.text import line_break

    pdf.render_pdf("documents/notice.html", samples.sample_notice())
    assert block.resolve_percentages is percent.resolve_percentages
    assert inline.split_first_line is line_break.split_first_line
    assert inline.strut is line_break.strut
    with weasyprint_speedups.faster_weasyprint():
        assert block.resolve_percentages is not percent.resolve_percentages
        assert inline.split_first_line is not line_break.split_first_line
        assert inline.strut is not line_break.strut


def test_another_weasyprint_version_prints_with_its_own_functions(monkeypatch):
    import weasyprint
    from weasyprint.layout import block, percent

    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    weasyprint_speedups._swaps.cache_clear()
    try:
        with weasyprint_speedups.faster_weasyprint():
            assert block.resolve_percentages is percent.resolve_percentages
    finally:
        weasyprint_speedups._swaps.cache_clear()
