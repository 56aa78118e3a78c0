"""Every document renders as a correct Chinese PDF from plain dicts: text, fonts, pages, marks."""

import functools

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import translation

from deliberation.documents import contexts, samples
from deliberation.documents.pdf import MissingFontError, _checked_fonts, document_html, render_pdf
from deliberation.documents.qr import parse_ballot_qr
from meetings.records import prepare_meeting_record
from tests import pdf_checks
from tests.document_samples import documents

NOTO = {f"Noto-{f}-CJK-SC{w}" for f in ("Sans", "Serif") for w in ("", "-Bold")}


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def render(name, draft=False, **extra):
    template, context = documents()[name]
    return render_pdf(
        template, {**context, "verification_code": "ABCD-EFGH-JKLM", **extra}, draft=draft
    )


@functools.cache
def printed(name, draft=False):
    """The sample document's PDF, printed once per test process for the tests that only read
    it (the same sample gives the same pages; a print takes up to a second)."""
    with translation.override("zh-hans"):
        return render(name, draft=draft)


@pytest.mark.parametrize("name", ["minutes", "hearing", "vote_result", "ballots", "notice"])
def test_each_document_prints_its_chinese_text_in_noto_cjk_without_tofu(name):
    pdf = printed(name)
    text = pdf_checks.squeeze(pdf_checks.all_text(pdf))
    assert "幸福里社区" in text
    assert pdf_checks.font_names(pdf) <= NOTO
    assert pdf_checks.tofu(pdf) == []
    assert 0.005 < pdf_checks.ink_fraction(pdf) < 0.5  # pdftoppm sees a printed page


def test_every_page_is_numbered_page_x_of_y():
    pdf = printed("minutes")
    pages = pdf_checks.page_texts(pdf)
    assert len(pages) > 2
    for number, text in enumerate(pages, start=1):
        assert f"第 {number} 页 共 {len(pages)} 页" in text


def test_every_page_carries_the_verification_code():
    pages = pdf_checks.page_texts(printed("minutes"))
    assert all("验证码：ABCD-EFGH-JKLM" in pdf_checks.squeeze(p) for p in pages)


def test_a_draft_is_marked_as_draft_on_every_page():
    pages = pdf_checks.page_texts(printed("minutes", draft=True))
    assert all("草稿" in page for page in pages)
    assert not any("草稿" in page for page in pdf_checks.page_texts(printed("minutes")))


def test_the_minutes_show_names_speeches_votes_and_outcomes_in_words():
    record = prepare_meeting_record(samples.sample_minutes(pages=2))
    pdf = render_pdf("documents/minutes.html", record)
    text = pdf_checks.squeeze(pdf_checks.all_text(pdf))
    speech = record["items"][0]["speeches"][0]
    assert pdf_checks.squeeze(speech["name"]) in text
    assert pdf_checks.squeeze(speech["summary"])[:30] in text
    assert "通过" in text
    assert "赵书记" in text and "刘洋" in text  # chair and secretary sign


def test_the_hearing_record_has_its_stages_and_the_corrections_annex():
    text = pdf_checks.squeeze(pdf_checks.all_text(printed("hearing")))
    for stage in ("当事人陈述", "询问", "辩论"):
        assert stage in text
    assert "每月120元" in text  # the correction, in the annex


def test_the_vote_result_shows_thresholds_outcomes_and_the_elected():
    result = samples.sample_vote_result()
    text = pdf_checks.squeeze(pdf_checks.all_text(printed("vote_result")))
    assert "不少于四分之三" in text
    assert "20600.00m²" in text
    for name in result["matters"][1]["election"]["elected"]:
        assert name in text


def test_ballots_are_one_personalised_page_per_holder_with_a_qr_code():
    context = contexts.with_ballot_codes(samples.sample_ballots(count=5))
    pdf = render_pdf("documents/ballots.html", context)
    pages = pdf_checks.page_texts(pdf)
    assert len(pages) == 5
    for page, sheet in zip(pages, context["sheets"], strict=True):
        assert sheet["holder_name"] in pdf_checks.squeeze(page)
        assert sheet["units"][0] in page  # never split across lines
        assert "□同意□反对□弃权" in pdf_checks.squeeze(page)
        assert "bench" not in page  # template comments stay out of the print
    html = document_html("documents/ballots.html", context)
    for sheet in context["sheets"]:
        assert parse_ballot_qr(sheet["qr_payload"]) == (1, sheet["head"])
        assert sheet["qr"].startswith("data:image/png") and sheet["qr"] in html


def test_user_text_is_escaped_not_interpreted():
    context = samples.sample_notice()
    context["body"] = '<b>粗体</b><img src="http://127.0.0.1:1/x.png"><script>x()</script>'
    text = pdf_checks.all_text(render_pdf("documents/notice.html", context))
    assert "<b>粗体</b>" in text and "<script>" in text


def test_a_five_thousand_character_speech_wraps_inside_the_page():
    record = prepare_meeting_record(samples.sample_minutes(pages=1))
    long_word = "长" * 2500 + "x" * 2500  # Chinese and an unbroken Latin run
    record["items"][0]["speeches"][0]["summary"] = long_word
    pdf = render_pdf("documents/minutes.html", record)
    text = pdf_checks.all_text(pdf)
    assert text.count("长") >= 2500 and text.count("x") >= 2500  # nothing cut off the page
    box = pdf_checks.reader(pdf).pages[0].mediabox
    assert float(box.width) < 600  # still A4


def test_unit_numbers_never_split_across_lines():
    context = contexts.with_ballot_codes(samples.sample_ballots(count=1))
    units = [f"{n}号楼2单元{n}0{n}室" for n in range(1, 10)]
    context["sheets"][0]["units"] = units  # a long list wraps between units, never inside
    page = pdf_checks.page_texts(render_pdf("documents/ballots.html", context))[0]
    for unit in units:
        assert unit in page


def test_chinese_punctuation_is_full_width():
    widths = pdf_checks.glyph_report(printed("hearing"))["Noto-Sans-CJK-SC"]
    for mark in "，。：、（）":
        if mark in widths:
            assert widths[mark][1] == 1000.0, mark


def test_a_meeting_with_no_participants_still_prints():
    record = samples.sample_minutes(pages=1, participants=0)
    pdf = render_pdf("documents/minutes.html", prepare_meeting_record(record))
    assert "未记录参会人员" in pdf_checks.squeeze(pdf_checks.all_text(pdf))


def test_the_tofu_check_catches_a_character_no_font_has():
    context = samples.sample_notice()
    context["body"] += "\U000f0001"
    assert pdf_checks.tofu(render_pdf("documents/notice.html", context))


def test_a_missing_font_stops_rendering_and_fails_the_system_check(settings):
    settings.DOCUMENT_FONTS = {"sans": "No Such CJK Font"}
    _checked_fonts.cache_clear()
    try:
        with pytest.raises(MissingFontError, match="No Such CJK Font"):
            render("notice")
        with pytest.raises(SystemCheckError, match="documents.E001"):
            call_command("check")
    finally:
        _checked_fonts.cache_clear()
