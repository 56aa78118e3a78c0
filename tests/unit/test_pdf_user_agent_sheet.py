"""The documents print with a user-agent stylesheet cut to the HTML they use
(deliberation/documents/documents_ua.css): each prints the same pages and text as with
WeasyPrint's full HTML5 one, and no template uses an element the cut sheet leaves out."""

import re
from html.parser import HTMLParser

import pytest
from django.utils import translation

from deliberation.documents import pdf
from deliberation.documents.pdf import STATIC_ROOT_DIR, UA_STYLESHEET, document_html
from tests import pdf_checks
from tests.document_samples import documents


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def with_full_html5_sheet(template, context, *, draft=False):
    """The same render, but with WeasyPrint's own HTML5 user-agent stylesheet."""
    from weasyprint import HTML

    html = document_html(template, context, draft=draft)
    document = HTML(
        string=html, base_url=str(STATIC_ROOT_DIR), url_fetcher=pdf.url_fetcher()
    ).render(stylesheets=[pdf.stylesheet()], font_config=pdf.font_config())
    return document.write_pdf()


@pytest.mark.parametrize("name", list(documents()))
@pytest.mark.parametrize("draft", [False, True])
def test_each_document_prints_the_same_pages_and_text_as_with_the_full_sheet(name, draft):
    template, context = documents()[name]
    printed = pdf.render_pdf(template, context, draft=draft)
    expected = with_full_html5_sheet(template, context, draft=draft)
    assert len(pdf_checks.reader(printed).pages) == len(pdf_checks.reader(expected).pages)
    assert pdf_checks.page_texts(printed) == pdf_checks.page_texts(expected)


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)


def test_the_documents_use_only_elements_the_cut_sheet_knows():
    sheet = re.sub(r"/\*.*?\*/", "", UA_STYLESHEET.read_text(), flags=re.S)
    selectors = " ".join(re.findall(r"([^{}]*)\{", sheet))
    known = set(re.findall(r"(?<![-.#:@\w])([a-z][a-z0-9]*)\b", selectors))
    known |= {"span", "colgroup", "col"}  # inline by default; named in the sheet anyway
    for name, (template, context) in documents().items():
        parser = Tags()
        parser.feed(document_html(template, context, draft=True))
        assert parser.tags <= known, f"{name} uses {parser.tags - known}"


def test_the_printed_documents_use_the_cut_sheet():
    source = pdf._document_class()(string="<p>x</p>")
    assert source._ua_stylesheets() == [pdf.ua_stylesheet()]
