"""A document printed by a warm process (fonts, subsets and stylesheet reused from earlier
renders) says exactly what plain WeasyPrint prints from the same HTML: the same text on each
page, the same fonts embedded with the same glyphs and widths, no tofu."""

import re

import pytest
from django.utils import translation

from deliberation.documents import contexts, samples
from deliberation.documents.pdf import STATIC_ROOT_DIR, STYLESHEET, document_html, render_pdf
from meetings.records import prepare_meeting_record
from tests import pdf_checks


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def plain_weasyprint(template, context):
    """What anyone would write: a fresh font configuration and stylesheet, nothing kept."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    html = document_html(template, context)
    css = CSS(filename=str(STYLESHEET), font_config=fonts)
    return HTML(string=html, base_url=str(STATIC_ROOT_DIR)).write_pdf(
        stylesheets=[css], font_config=fonts
    )


def documents():
    return [
        ("documents/minutes.html", prepare_meeting_record(samples.sample_minutes(2))),
        ("documents/ballots.html", contexts.with_ballot_codes(samples.sample_ballots(count=3))),
        ("documents/notice.html", samples.sample_notice()),
        ("documents/vote_result.html", samples.sample_vote_result()),
    ]


def assert_same_content(pdf, expected):
    assert pdf_checks.page_texts(pdf) == pdf_checks.page_texts(expected)
    assert pdf_checks.font_names(pdf) == pdf_checks.font_names(expected)
    assert pdf_checks.glyph_report(pdf) == pdf_checks.glyph_report(expected)
    assert pdf_checks.tofu(pdf) == []


def test_each_document_printed_again_and_after_others_says_what_plain_weasyprint_says():
    printed = documents()
    for template, context in printed:  # the first round makes the fonts warm
        render_pdf(template, context)
    for template, context in reversed(printed):  # others' fonts are warm, not embedded here
        assert_same_content(render_pdf(template, context), plain_weasyprint(template, context))


def test_a_new_text_in_a_warm_process_embeds_its_own_glyphs():
    render_pdf("documents/notice.html", samples.sample_notice())
    context = samples.sample_notice()
    context["body"] += "\n鑫淼犇骉"  # glyphs the first notice did not need
    pdf = render_pdf("documents/notice.html", context)
    assert_same_content(pdf, plain_weasyprint("documents/notice.html", context))
    assert "鑫淼犇骉" in pdf_checks.squeeze(pdf_checks.all_text(pdf))


def test_every_ballot_page_carries_its_codes_beside_the_text():
    context = contexts.with_ballot_codes(samples.sample_ballots(count=3))
    reader = pdf_checks.reader(render_pdf("documents/ballots.html", context))
    for page, sheet in zip(reader.pages, context["sheets"], strict=True):
        drawn = re.findall(rb"/\S+ Do\b", page.get_contents().get_data())
        assert len(drawn) == 1  # the QR code
        text = pdf_checks.squeeze(page.extract_text())
        assert "录入码" + sheet["short_code"] in text
        assert f"表决票编号{sheet['number']}" in text
