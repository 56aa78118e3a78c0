"""Looking inside our PDFs: text per page, embedded fonts, tofu, glyph widths, a raster check.

Tofu (empty boxes) shows in the PDF as a character whose glyph is .notdef, lies outside the
embedded font, or has no outline. We read each embedded font program with fontTools and each
font's ToUnicode map, so the check covers exactly what a reader sees.
"""

import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pypdf
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from PIL import Image

BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")


def reader(pdf):
    return pypdf.PdfReader(io.BytesIO(pdf))


def page_texts(pdf):
    return [page.extract_text() or "" for page in reader(pdf).pages]


def all_text(pdf):
    return "\n".join(page_texts(pdf))


def squeeze(text):
    """Text without any whitespace, to compare with the source regardless of line breaks."""
    return re.sub(r"\s+", "", text)


def _fonts(pdf):
    seen = {}
    for page in reader(pdf).pages:
        resources = page.get("/Resources") or {}
        fonts = resources.get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            seen[font.indirect_reference.idnum if font.indirect_reference else id(font)] = font
    return list(seen.values())


def font_names(pdf):
    """BaseFont names without the subset prefix: {"Noto-Sans-CJK-SC", ...}."""
    return {str(f["/BaseFont"]).lstrip("/").split("+", 1)[-1] for f in _fonts(pdf)}


def _to_unicode(font):
    mapping = {}
    if "/ToUnicode" not in font:
        return mapping
    data = font["/ToUnicode"].get_object().get_data()
    for gid, text in BFCHAR.findall(data):
        if len(gid) <= 4:
            mapping[int(gid, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    return mapping


def _widths(descendant):
    widths = {}
    w = descendant.get("/W") or []
    i = 0
    while i < len(w):
        first = int(w[i])
        nxt = w[i + 1]
        if isinstance(nxt, list | pypdf.generic.ArrayObject):
            for k, value in enumerate(nxt):
                widths[first + k] = float(value)
            i += 2
        else:
            for gid in range(first, int(nxt) + 1):
                widths[gid] = float(w[i + 2])
            i += 3
    return widths


def _font_program(descendant):
    descriptor = descendant["/FontDescriptor"].get_object()
    for key in ("/FontFile3", "/FontFile2", "/FontFile"):
        if key in descriptor:
            return descriptor[key].get_object().get_data()
    return None


def glyph_report(pdf):
    """For each embedded font: {char: (gid, width, has_outline)} of the characters it shows."""
    report = {}
    for font in _fonts(pdf):
        name = str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]
        descendant = font["/DescendantFonts"][0].get_object()
        widths = _widths(descendant)
        program = _font_program(descendant)
        tt = TTFont(io.BytesIO(program)) if program else None
        glyph_set = tt.getGlyphSet() if tt else None
        order = tt.getGlyphOrder() if tt else []
        chars = report.setdefault(name, {})
        for gid, text in _to_unicode(font).items():
            outline = False
            if tt is not None and 0 < gid < len(order):
                pen = BoundsPen(glyph_set)
                glyph_set[order[gid]].draw(pen)
                outline = pen.bounds is not None
            for char in text:
                chars[char] = (gid, widths.get(gid), outline)
    return report


def tofu(pdf):
    """Characters shown without a real glyph: .notdef, out of the font, or no outline."""
    missing = []
    for name, chars in glyph_report(pdf).items():
        for char, (gid, _width, outline) in chars.items():
            # WeasyPrint maps .notdef itself to U+FFFF; that is no character of the text.
            if char.isspace() or char in "\u3000\u00a0\uffff":
                continue
            if gid == 0 or not outline:
                missing.append((name, char))
    return missing


def ink_fraction(pdf, page=1, dpi=40):
    """Share of non-white pixels on a page rendered by poppler's pdftoppm."""
    executable = shutil.which("pdftoppm")
    if executable is None:
        raise RuntimeError("pdftoppm is missing: apt-get install poppler-utils")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "doc.pdf"
        source.write_bytes(pdf)
        prefix = Path(tmp) / "page"
        subprocess.run(  # noqa: S603  (fixed arguments, our own temp file)
            [
                executable,
                "-r",
                str(dpi),
                "-png",
                "-gray",
                "-f",
                str(page),
                "-l",
                str(page),
                str(source),
                str(prefix),
            ],
            check=True,
            capture_output=True,
        )
        image_path = next(Path(tmp).glob("page*.png"))
        with Image.open(image_path) as image:
            histogram = image.convert("L").histogram()
    return sum(histogram[:200]) / sum(histogram)
