"""Faster stand-ins for four of WeasyPrint's functions, for the printed documents.

`faster_weasyprint()` swaps them in for the length of a render and its writing (the caller
holds the lock that serialises renders); outside it WeasyPrint is untouched. They give the
same PDF, to the byte, as the functions they replace (tests/unit/test_weasyprint_speedups.py
prints every document template and a page of line-breaking styles both ways):

- `resolve_percentages` runs for every box at every line and page it is laid out on (4,000
  times for 20 pages of minutes) and made 17 calls of two functions each time; the stand-in
  does the same arithmetic in one loop: a tenth of a minutes render.
- `split_first_line` asks Pango where the first line of a text breaks, by trial layouts; the
  answer depends only on the text, the width and the text's font and line-breaking
  properties (LINE_STYLE), so it is kept. A document repeats many short texts (the names in
  the attendance and signature tables, the column headings of every vote table) and lays a
  table out again when it moves to the next page; a document printed again finds its lines
  measured.
- `draw_text` turns a laid-out line into glyph strings, glyph by glyph in Python; what it
  writes depends on the same things (not on where the line is drawn), so it is kept too and
  replayed, with the widths and characters of the glyphs it used.
- `strut` (a text box's line height and baseline) keeps its answers under the str() of 16
  style values, built again for every text box; the stand-in keeps them under the values.

What is kept is bounded (CHARACTERS_KEPT, DRAWN_CHARACTERS_KEPT: under 30 MB in all), least
recently used out first. Written against WeasyPrint 70 (pinned): another version prints with
its own functions.
"""

import collections
import contextlib
import copy
import functools
import sys

WEASYPRINT_VERSION = "70.0"

# Every computed property split_first_line and the functions it calls read (weasyprint
# text/line_break.py and text/fonts.py): equal values give equal lines.
LINE_STYLE = (
    "white_space",
    "font_family",
    "font_size",
    "font_style",
    "font_stretch",
    "font_weight",
    "font_variant_caps",
    "font_variation_settings",
    "font_kerning",
    "font_variant_ligatures",
    "font_variant_position",
    "font_variant_numeric",
    "font_variant_alternates",
    "font_variant_east_asian",
    "font_feature_settings",
    "font_language_override",
    "lang",
    "direction",
    "text_decoration_line",
    "letter_spacing",
    "word_spacing",
    "overflow_wrap",
    "word_break",
    "tab_size",
    "hyphens",
    "hyphenate_character",
    "hyphenate_limit_chars",
    "hyphenate_limit_zone",
)
# The texts kept, in characters. A paragraph is measured from each line's start to its end,
# so one of n lines adds about n²/2 of its length: 20 pages of minutes keep about 35,000
# characters of measured lines (15 bytes each in all) and 12,000 of drawn lines (200 bytes
# each, with their glyphs' widths and characters): the measured lines of some 15 such
# documents (7 MB) and the drawn lines of 8 (20 MB).
CHARACTERS_KEPT = 500_000
DRAWN_CHARACTERS_KEPT = 100_000

_lines = collections.OrderedDict()
_kept = {"characters": 0}
# What drawing a line of text wrote (fonts, sizes, glyph strings) and the glyphs' widths and
# characters, by the same key as _lines; bounded the same way.
_drawn = collections.OrderedDict()
_drawn_kept = {"characters": 0}


@contextlib.contextmanager
def faster_weasyprint():
    """WeasyPrint with the stand-ins while the block runs (not thread-safe: hold a lock)."""
    swaps = _swaps()
    saved = [(module, name, getattr(module, name)) for module, name, _new in swaps]
    for module, name, new in swaps:
        setattr(module, name, new)
    try:
        yield
    finally:
        for module, name, old in saved:
            setattr(module, name, old)


@functools.cache
def _swaps():
    import weasyprint
    import weasyprint.draw
    from weasyprint.draw import text
    from weasyprint.layout import inline, percent, preferred
    from weasyprint.text import line_break

    if weasyprint.__version__ != WEASYPRINT_VERSION:
        return ()
    fast_percentages = _resolve_percentages_function()
    fast_split = _split_first_line_function(line_break.split_first_line)
    swaps = [
        (module, "resolve_percentages", fast_percentages)
        for name, module in sorted(sys.modules.items())
        if name.startswith("weasyprint.")
        and module is not percent
        and getattr(module, "resolve_percentages", None) is percent.resolve_percentages
    ]
    swaps += [(inline, "split_first_line", fast_split), (preferred, "split_first_line", fast_split)]
    swaps += [(weasyprint.draw, "draw_text", _draw_text_function(text.draw_text))]
    fast_strut = _strut_function(line_break.strut)
    swaps += [(inline, "strut", fast_strut)]
    return tuple(swaps)


# Every property weasyprint.text.line_break.strut keys its own cache on.
STRUT_STYLE = (
    "font_family",
    "font_style",
    "font_stretch",
    "font_weight",
    "font_variant_ligatures",
    "font_variant_position",
    "font_variant_caps",
    "font_variant_numeric",
    "font_variant_alternates",
    "font_variant_east_asian",
    "font_feature_settings",
    "font_variation_settings",
    "font_language_override",
    "lang",
    "font_size",
    "line_height",
)
STRUTS_KEPT = 1000  # a document has a few dozen
_struts = {}


def _strut_function(strut):
    """weasyprint.text.line_break.strut, which keeps its answers under the str() of 16 style
    values, built again at each call (for every text box): kept here under the values."""

    def cached_strut(style):
        key = (id(style.font_config), *map(style.__getitem__, STRUT_STYLE))
        try:
            found = _struts.get(key)
        except TypeError:  # a list among the values
            return strut(style)
        if found is None:
            if len(_struts) >= STRUTS_KEPT:
                _struts.clear()
            found = _struts[key] = strut(style)
        return found

    return cached_strut


def _line_key(text, style, justification_spacing):
    """What the glyphs of a laid-out line depend on; None if a value cannot be a key."""
    try:
        key = (
            text,
            justification_spacing,
            id(style.font_config),
            *map(style.__getitem__, LINE_STYLE),
        )
        hash(key)
    except TypeError:
        return None
    return key


class _Uncacheable(Exception):
    """Drawing this line did something a replay would not (a missing glyph, an emoji)."""


class _FontView:
    """A document font as one line's drawing sees it: the widths and characters of its
    glyphs go to dicts of their own, merged into the font's as WeasyPrint would (the first
    line to use a glyph names its characters)."""

    def __init__(self, font):
        self._font = font
        self.widths = {}
        self.to_unicode = {}

    def __getattr__(self, name):
        if name in ("png", "svg", "colr", "bitmap") and getattr(self._font, name):
            raise _Uncacheable(name)
        return getattr(self._font, name)

    def get_unused_glyph_id(self, codepoint):
        raise _Uncacheable(".notdef")


class _LineRecorder:
    """The stream draw_first_line writes to while its operations are recorded."""

    def __init__(self, stream):
        self._stream = stream
        self.operations = []
        self.ink_rect = stream.ink_rect
        self.logical_rect = stream.logical_rect

    def set_text_matrix(self, *values):
        self.operations.append(("matrix",))

    def add_font(self, pango_font):
        from weasyprint.text.fonts import get_pango_font_key

        font, font_size = self._stream.add_font(pango_font)
        view = _FontView(font)
        key, _description, _size = get_pango_font_key(pango_font)
        self.operations.append(("font", key, view))
        return view, font_size

    def set_font_size(self, font, size):
        self.operations.append(("size", font, size))

    def show_text(self, text):
        self.operations.append(("text", text))

    def set_text_rise(self, rise):
        self.operations.append(("rise", rise))

    def kept(self):
        """The operations to keep: the fonts by key with the glyphs used, not the font
        objects (a font WeasyPrint does not keep warm holds its whole file)."""
        return [
            ("font", operation[1], operation[2].widths, operation[2].to_unicode)
            if operation[0] == "font"
            else operation
            for operation in self.operations
        ]


def _replay(stream, operations, matrix):
    for operation, *arguments in operations:
        if operation == "text":
            stream.show_text(*arguments)
        elif operation == "size":
            stream.set_font_size(*arguments)
        elif operation == "font":
            key, widths, to_unicode = arguments
            font = stream._fonts[key]
            for glyph, width in widths.items():
                font.widths.setdefault(glyph, width)
            for glyph, characters in to_unicode.items():
                font.to_unicode.setdefault(glyph, characters)
        elif operation == "matrix":
            stream.set_text_matrix(*matrix.values)
        else:
            stream.set_text_rise(*arguments)


def _draw_text_function(draw_text):
    """weasyprint.draw.text.draw_text, replaying what an equal line wrote before: the glyphs
    of a line depend only on its text and font properties (the key of _lines), not on where
    it is drawn. Lines with decorations, ellipses or emoji are drawn as WeasyPrint does."""
    from weasyprint.draw import text as draw_module
    from weasyprint.matrix import Matrix

    def cached_draw_text(stream, textbox, offset_x, text_overflow, block_ellipsis="none"):
        style = textbox.style
        layout = textbox.pango_layout
        plain = (
            style["visibility"] == "visible"
            and style["text_decoration_line"] == "none"
            and text_overflow == "clip"
            and block_ellipsis == "none"
            and textbox.text.strip()
            and style["font_size"] >= 1e-6
        )
        key = _line_key(layout.text, style, layout.justification_spacing) if plain else None
        if key is None:
            return draw_text(stream, textbox, offset_x, text_overflow, block_ellipsis)
        found = _drawn.get(key)
        if found is not None and all(
            operation[1] in stream._fonts for operation in found if operation[0] == "font"
        ):
            _drawn.move_to_end(key)
        else:
            recorder = _LineRecorder(stream)
            layout.reactivate(style)
            try:
                emojis = draw_module.draw_first_line(
                    recorder, textbox, text_overflow, block_ellipsis, Matrix()
                )
            except _Uncacheable:
                emojis = True
            finally:
                layout.deactivate()
            if emojis:
                return draw_text(stream, textbox, offset_x, text_overflow, block_ellipsis)
            found = _drawn[key] = recorder.kept()
            _drawn_kept["characters"] += len(key[0])
            while _drawn_kept["characters"] > DRAWN_CHARACTERS_KEPT:
                old_key, _old = _drawn.popitem(last=False)
                _drawn_kept["characters"] -= len(old_key[0])
        x, y = textbox.position_x, textbox.position_y + textbox.baseline
        stream.set_color(style["color"])
        stream.begin_text()
        _replay(stream, found, Matrix(d=-1, e=x, f=y))
        stream.end_text()

    return cached_draw_text


def _split_first_line_function(split_first_line):
    def cached_split_first_line(
        text,
        style,
        context,
        max_width,
        justification_spacing,
        is_line_start=True,
        minimum=False,
    ):
        try:
            key = (
                text,
                max_width,
                justification_spacing,
                is_line_start,
                minimum,
                id(style.font_config),
                *map(style.__getitem__, LINE_STYLE),
            )
            hash(key)
        except TypeError:  # a property value that cannot be a key: measure as usual
            return split_first_line(
                text, style, context, max_width, justification_spacing, is_line_start, minimum
            )
        found = _lines.get(key)
        if found is None:
            found = _lines[key] = split_first_line(
                text, style, context, max_width, justification_spacing, is_line_start, minimum
            )
            _kept["characters"] += len(text)
            while _kept["characters"] > CHARACTERS_KEPT:
                old_key, _old = _lines.popitem(last=False)
                _kept["characters"] -= len(old_key[0])
        else:
            _lines.move_to_end(key)
        layout, *measures = found
        # The layout comes back deactivated (text and metrics, no Pango objects); each text
        # box gets its own, since drawing reactivates it with the box's style.
        return (copy.copy(layout), *measures)

    return cached_split_first_line


def _resolve_percentages_function():
    from weasyprint.formatting_structure.boxes import Box, PageBox
    from weasyprint.layout import percent

    percentage = percent.percentage
    adjust_box_sizing = percent.adjust_box_sizing
    check_math = percent.check_math
    inf = float("inf")

    def resolve_percentages(box, containing_block):
        """weasyprint.layout.percent.resolve_percentages, in one loop."""
        if isinstance(containing_block, Box):
            cb_width = containing_block.width
            cb_height = containing_block.height
        else:
            cb_width, cb_height = containing_block
        maybe_height = cb_height if isinstance(box, PageBox) else cb_width
        style = box.style
        if cb_height == "auto":
            # The containing block's height depends on its content: a percentage height is
            # 'auto', a minimum 0, a maximum none.
            height = style["height"]
            if getattr(height, "unit", None) == "px":
                box.height = height.value
            elif height == "auto" or check_math(height) or height.unit == "%":
                box.height = "auto"
            else:
                box.height = height.value
            min_height, max_height = 0, inf
        else:
            min_height = max_height = cb_height
        for name, refer_to in (
            ("margin_left", cb_width),
            ("margin_right", cb_width),
            ("margin_top", maybe_height),
            ("margin_bottom", maybe_height),
            ("padding_left", cb_width),
            ("padding_right", cb_width),
            ("padding_top", maybe_height),
            ("padding_bottom", maybe_height),
            ("width", cb_width),
            ("min_width", cb_width),
            ("max_width", cb_width),
            ("height", cb_height),
            ("min_height", min_height),
            ("max_height", max_height),
        ):
            if name == "height" and cb_height == "auto":
                continue
            value = style[name]
            unit = getattr(value, "unit", None)
            if unit == "px":
                value = value.value
            elif unit == "%":
                value = refer_to * value.value / 100
            elif value is not None and value != "auto":
                value = percentage(value, style, refer_to)
            if value == "auto" and name in ("min_width", "min_height"):
                value = 0
            setattr(box, name, value)

        # Collapsed borders were set on the box when the conflicts were resolved.
        collapse = style["border_collapse"] == "collapse"
        for name in (
            "border_top_width",
            "border_right_width",
            "border_bottom_width",
            "border_left_width",
        ):
            if not (collapse and hasattr(box, name)):
                setattr(box, name, style[name])

        if style["box_sizing"] != "content-box":  # content-box: nothing to take off
            adjust_box_sizing(box, "width")
            adjust_box_sizing(box, "height")

    return resolve_percentages
