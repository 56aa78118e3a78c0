"""Chinese PDFs with WeasyPrint: one font configuration, checked fonts, a locked-down fetcher.

Subsetting a 65,000-glyph Noto CJK face with fontTools takes seconds per document; HarfBuzz
(Debian's libharfbuzz-subset0) does it in milliseconds, so a missing HarfBuzz-subset is a
system-check warning. The font configuration and the shared
stylesheet are built once per process and reused by every render, and so are WeasyPrint's
PDF font objects (`_WarmFont`): left to itself WeasyPrint copies each Noto collection file
(20-27 MB) into memory for every document and subsets it again, even when the same glyphs
were subset a moment before. The user-agent stylesheet is cut to the HTML the documents use
(documents_ua.css): WeasyPrint matches every rule of its HTML5 one against every element.

A document of independent sheets (the ballots, SHEETS) is printed in two parts at once when
a core is free, the second in a process forked with the fonts warm, and the parts joined in
order (`render_pdf`): the wall time of 300 ballots about halves on two cores. On cores busy
with other work the second process gains nothing and costs CPU, so then one process prints.

Where the time of a long document goes, for the 20-page minutes printed warm (bench/pdf.py
--profile; shares of its CPU time): laying out the pages, about half, a third of which is
the tables (the attendance, vote and signature tables are 5 of the 20 pages: WeasyPrint's
cost is per box, every cell is a box with a line of its own, and a table that must move to
the next page, like the signatures, is laid out twice); painting, a seventh; building the
boxes, a tenth; the page-margin boxes (the page numbers), the cascade, parsing the HTML
(tinyhtml5, pure Python) and writing the file (pydyf, zlib), each 5-8 %. Pango itself is
under a tenth: nearly all of it is WeasyPrint's Python. So the renders run with stand-ins
for four of WeasyPrint's functions (plumbing/weasyprint_speedups.py, the same PDF to the
byte): percentages resolved in one loop, and the lines' breaks, glyphs and heights kept, as a
document repeats many short texts (names, headings) and a document printed again repeats them
all; 35-40 % off a warm render, about a tenth off a new text's. Tried and not worth it, all
within the noise of a few per cent: overflow-wrap, collapsed borders, rows kept whole, and
the inline `<b>` and `<span>` of the minutes. The layout cannot be shared between the cores:
each page starts where the last one ended. Painting is independent per page, but half of it
in a second process would save about 0.03 s and need the halves' fonts and bookmarks merged.

Fonts are set on `html`, not `body`: page-margin boxes (page numbers, the verification code)
inherit from the root element, and would otherwise fall back to another font file.
"""

import base64
import collections
import contextlib
import functools
import gc
import io
import os
import re
import threading
import urllib.parse
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from plumbing.processes import in_processes
from plumbing.weasyprint_speedups import faster_weasyprint

STYLESHEET = Path(settings.BASE_DIR) / "static" / "css" / "documents.css"
UA_STYLESHEET = Path(__file__).with_name("documents_ua.css")
STATIC_ROOT_DIR = (Path(settings.BASE_DIR) / "static").resolve()

# The families the documents print in; each must exist in regular and bold (checked).
DEFAULT_FONTS = {"sans": "Noto Sans CJK SC", "serif": "Noto Serif CJK SC"}
STYLES = ("Regular", "Bold")

_render_lock = threading.Lock()


class MissingFontError(ImproperlyConfigured):
    """A CJK face the documents need is not installed: we refuse to print tofu."""


def document_fonts():
    return {**DEFAULT_FONTS, **getattr(settings, "DOCUMENT_FONTS", {})}


def _fontconfig_match(family, style):
    """(family names, file) fontconfig picks for `family` in `style`, Chinese text."""
    from weasyprint.text.ffi import ffi, fontconfig

    config = fontconfig.FcInitLoadConfigAndFonts()
    pattern = fontconfig.FcPatternCreate()
    try:
        fontconfig.FcPatternAddString(pattern, b"family", family.encode())
        fontconfig.FcPatternAddString(pattern, b"style", style.encode())
        fontconfig.FcPatternAddString(pattern, b"lang", b"zh-cn")
        fontconfig.FcConfigSubstitute(config, pattern, 0)  # FcMatchPattern
        fontconfig.FcDefaultSubstitute(pattern)
        result = ffi.new("FcResult *")
        match = fontconfig.FcFontMatch(config, pattern, result)
        if match == ffi.NULL:
            return [], ""
        names, value = [], ffi.new("FcChar8 **")
        for index in range(8):
            if fontconfig.FcPatternGetString(match, b"family", index, value) != 0:
                break
            names.append(ffi.string(value[0]).decode())
        path = ""
        if fontconfig.FcPatternGetString(match, b"file", 0, value) == 0:
            path = ffi.string(value[0]).decode()
        fontconfig.FcPatternDestroy(match)
        return names, path
    finally:
        fontconfig.FcPatternDestroy(pattern)
        fontconfig.FcConfigDestroy(config)


def font_problems():
    """Human-readable problems with the document fonts; empty when all is well."""
    problems = []
    for family in document_fonts().values():
        for style in STYLES:
            names, path = _fontconfig_match(family, style)
            if family not in names:
                problems.append(
                    f'"{family}" ({style}) is not installed; fontconfig would use '
                    f'"{names[0] if names else "nothing"}" ({path or "no file"}) instead, '
                    "and Chinese text would print as empty boxes."
                )
    return problems


def harfbuzz_subset_available():
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))


@functools.cache
def _checked_fonts():
    problems = font_problems()
    if problems:
        raise MissingFontError(
            " ".join(problems) + " Install Debian's fonts-noto-cjk (`make system`)."
        )
    return True


@functools.cache
def font_config():
    """The process-wide FontConfiguration, shared by every render."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@functools.cache
def stylesheet():
    """documents.css parsed once, against the shared font configuration."""
    from weasyprint import CSS

    return CSS(filename=str(STYLESHEET), font_config=font_config(), url_fetcher=url_fetcher())


@functools.cache
def ua_stylesheet():
    """The user-agent stylesheet: only the HTML the documents use (documents_ua.css)."""
    from weasyprint import CSS

    return CSS(filename=str(UA_STYLESHEET), url_fetcher=url_fetcher())


@functools.cache
def _document_class():
    """weasyprint.HTML with documents_ua.css as its user-agent stylesheet, in place of the
    HTML5 one written for any web page, which WeasyPrint matches against every element."""
    from weasyprint import HTML

    class DocumentHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [ua_stylesheet()]

    return DocumentHTML


@functools.cache
def url_fetcher():
    """Only data: URIs and files under static/: user text can never make the server fetch."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class DataResponse(URLFetcherResponse):
        """A data: URI's bytes: its type is known, so no MIME header is built and parsed
        (the email package's parser showed at hundreds of QR codes in one document)."""

        def __init__(self, url, body, mime):
            super().__init__(url, body)
            self._mime = mime

        @property
        def content_type(self):
            return self._mime

        @property
        def charset(self):
            return None

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                # Decoded here: urllib's data: handler parses MIME headers for each image,
                # which shows at hundreds of QR codes in one document.
                meta, _comma, payload = url[len("data:") :].partition(",")
                mime, *params = meta.split(";")
                body = (
                    base64.b64decode(payload)
                    if "base64" in params
                    else urllib.parse.unquote_to_bytes(payload)
                )
                return DataResponse(url, body, mime or "text/plain")
            if url.startswith("file://"):
                path = Path(url[len("file://") :].split("?")[0]).resolve()
                if path.is_relative_to(STATIC_ROOT_DIR):
                    return super().fetch(url, headers)
            raise ValueError(f"Documents may not fetch {url[:80]!r}")

    return StaticOnlyFetcher(allowed_protocols={"data", "file"}, allow_redirects=False)


def css_string(text):
    """`text` as a quoted CSS string (for `content:` in page-margin boxes)."""
    escaped = re.sub(r'[\\"\n\r\f<>]', lambda m: f"\\{ord(m.group()):x} ", str(text))
    return f'"{escaped}"'


def page_counter_css():
    """`content:` for the footer: "第 " counter(page) " 页 共 " counter(pages) " 页"."""
    # Translators: page footer of printed documents; keep {page} and {pages}.
    pattern = _("Page {page} of {pages}")
    parts = re.split(r"(\{page\}|\{pages\})", pattern)
    out = []
    for part in parts:
        if part == "{page}":
            out.append("counter(page)")
        elif part == "{pages}":
            out.append("counter(pages)")
        elif part:
            out.append(css_string(part))
    return " ".join(out)


def document_html(template_name, context, *, draft=False):
    """The HTML a document prints from (useful for tests and previews)."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    fonts = document_fonts()
    base = {
        "draft": draft,
        "language": "zh-Hans" if language.startswith("zh") else language,
        "font_css": css_string(fonts["sans"]),
        "serif_css": f"{css_string(fonts['serif'])}, {css_string(fonts['sans'])}",
        "page_counter_css": page_counter_css(),
        "draft_css": css_string(_("DRAFT, not in force")) if draft else "",
    }
    code = context.get("verification_code", "")
    if code:
        base["verification_css"] = css_string(_("Verification code: %(code)s") % {"code": code})
    return render_to_string(template_name, {**base, **context})


def render_pdf(template_name, context, *, draft=False):
    """Render a documents template to PDF bytes. A draft is marked as such on every page.

    A document of independent sheets (SHEETS: no page number runs across them) is printed in
    parts, one per core, and the parts joined in order. Raises MissingFontError rather than
    printing Chinese as empty boxes.
    """
    _checked_fonts()
    htmls = [
        document_html(template_name, part, draft=draft) for part in _parts(template_name, context)
    ]
    with _render_lock, _collector_paused():  # Pango's font map is not thread-safe
        if len(htmls) == 1:
            return _render(htmls[0])
        return _joined(in_processes(_render, htmls))


def _render(html):
    source = _document_class()(
        string=html, base_url=str(STATIC_ROOT_DIR), url_fetcher=url_fetcher()
    )
    with faster_weasyprint():
        document = source.render(stylesheets=[stylesheet()], font_config=font_config())
        document.fonts = _warm_fonts()
        pdf = document.write_pdf()
    _keep_fonts(document.fonts)
    return pdf


# Templates made of sheets that stand alone (one page or more each, nothing counted across
# them): the context key holding the sheets, which may be printed in parts.
SHEETS = {"documents/ballots.html": "sheets"}
# Below this many sheets per part, forking and joining cost more than the second core gives.
MIN_SHEETS_PER_PART = 25


def document_processes():
    """How many processes print one document: the cores this process may use, at most
    settings.DOCUMENT_PROCESSES (2 unless set); one while the cores are busy (a load average
    of a task per core or more): the second process would then wait for a core like the
    first, and the fork and the join would only add CPU (bench/RESULTS.md)."""
    cores = len(os.sched_getaffinity(0))
    if os.getloadavg()[0] >= cores:
        return 1
    return max(1, min(cores, getattr(settings, "DOCUMENT_PROCESSES", 2)))


def _parts(template_name, context):
    key = SHEETS.get(template_name)
    sheets = list(context.get(key) or []) if key else []
    count = min(document_processes(), len(sheets) // MIN_SHEETS_PER_PART)
    if count < 2:
        return [context]
    size = -(-len(sheets) // count)
    return [{**context, key: sheets[i : i + size]} for i in range(0, len(sheets), size)]


def _joined(pdfs):
    """The parts' pages in order, in one PDF, with the first part's metadata and language
    (screen readers read /Lang)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter()
    for number, pdf in enumerate(pdfs):
        reader = PdfReader(io.BytesIO(pdf))
        if number == 0:
            if reader.metadata:
                writer.add_metadata(reader.metadata)
            if "/Lang" in reader.root_object:
                writer.root_object[NameObject("/Lang")] = reader.root_object["/Lang"]
        writer.append(reader)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@contextlib.contextmanager
def _collector_paused():
    """Python's cycle collector off for the render. WeasyPrint makes a few hundred thousand
    boxes and styles that live until the PDF is written, and the collector would scan them
    again and again: a fifth of a render's time (bench/pdf.py). The document becomes garbage
    when the render returns; the collector frees it then, at its next run, as it would have."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# PDF font objects by WeasyPrint's key for a Pango font (family, weight, style): the shared
# font configuration gives the same Pango fonts to every render, so the objects can be too.
_fonts = {}
# Subset font programs by (font, glyphs): a document printed again, or a building's ballots
# after another's, often needs exactly the same glyphs. Bounded: a few hundred KB each.
_subsets = collections.OrderedDict()
SUBSET_CACHE_SIZE = 32


class _WarmFonts(dict):
    """One document's fonts: WeasyPrint asks `key in fonts` before it makes a Font, and gets
    the one an earlier render made, emptied of what that document used. Fonts this document
    does not use stay out of it (an unused font would be embedded whole)."""

    def __contains__(self, key):
        if not super().__contains__(key) and key in _fonts:
            font = _fonts[key]
            font.widths, font.to_unicode, font.missing = {}, {}, {}
            font.used_in_forms = False
            self[key] = font
        return super().__contains__(key)


def _warm_fonts():
    return _WarmFonts()


def _keep_fonts(fonts):
    warm_font = _warm_font_class()
    for key, font in fonts.items():
        if key not in _fonts and warm_font.fits(font):
            _fonts[key] = warm_font.adopt(font)


@functools.cache
def _warm_font_class():
    """WeasyPrint's PDF Font, kept across renders (defined on first use, like every import
    of WeasyPrint here): the collection file is not copied again, and a subset already made
    for the same glyphs is reused."""
    from weasyprint.pdf.fonts import Font
    from weasyprint.text.ffi import ffi, harfbuzz
    from weasyprint.text.fonts import get_hb_object_data

    class WarmFont(Font):
        @staticmethod
        def fits(font):
            # Plain outline fonts only: colour, bitmap and variable fonts rewrite their file.
            return not (font.bitmap or font.png or font.svg or font.colr or "fvar" in font.tables)

        @classmethod
        def adopt(cls, font):
            warm = cls.__new__(cls)
            warm.__dict__.update(font.__dict__)
            # Our own reference: the face outlives the Pango font that lent it.
            face = harfbuzz.hb_face_reference(font.hb_face)
            warm.hb_face = ffi.gc(face, harfbuzz.hb_face_destroy)
            warm.hb_font = None  # read only for colour glyphs, which these fonts have none of
            warm.file_content = None  # the whole file: read again only if it must be embedded
            return warm

        def subset(self, to_unicode, hinting):
            if not to_unicode:
                self.file_content = get_hb_object_data(self.hb_face)
                return
            key = (self.hash, self.index, tuple(sorted(to_unicode)), hinting, bool(self.missing))
            cached = _subsets.get(key)
            if cached is None:
                self.file_content = None
                super().subset(to_unicode, hinting)
                if self.file_content is None:  # HarfBuzz could not subset: embed the file
                    self.file_content = get_hb_object_data(self.hb_face)
                    return
                cached = _subsets[key] = self.file_content
                while len(_subsets) > SUBSET_CACHE_SIZE:
                    _subsets.popitem(last=False)
            _subsets.move_to_end(key)
            self.file_content = cached

    return WarmFont
