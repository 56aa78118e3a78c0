"""Faster stand-ins for two of WeasyPrint's layout functions, for the printed documents.

`faster_layout()` swaps them in for the length of a render (the caller holds the lock that
serialises renders); outside it WeasyPrint is untouched. Both give the same results as the
functions they replace, to the byte of the PDF (tests/unit/test_weasyprint_speedups.py):

- `resolve_percentages` runs for every box at every line and page it is laid out on (4,000
  times for 20 pages of minutes) and made 17 calls of two functions each time; the stand-in
  does the same arithmetic in one loop, about a tenth of a minutes render.
- `split_first_line` asks Pango where the first line of a text breaks, by trial layouts; the
  answer depends only on the text, the width and the text's font and line-breaking
  properties (LINE_STYLE), so it is kept (bounded, least recently used first out). A
  document repeats many short texts (the names in the attendance and signature tables, the
  column headings of every vote), and lays a table out again when it moves to the next page;
  a document printed again finds its lines measured.

Written against WeasyPrint 70 (pinned): `faster_layout()` refuses another version rather than
guess, and then the documents print with WeasyPrint's own functions.
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
# The texts kept, in characters: a paragraph is measured from each line's start to its end, so
# one of n lines adds about n²/2 of the paragraph's length; a few MB in all.
CHARACTERS_KEPT = 1_000_000

_lines = collections.OrderedDict()
_kept = {"characters": 0}


@contextlib.contextmanager
def faster_layout():
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
    return tuple(swaps)


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
                *(_hashable(style[name]) for name in LINE_STYLE),
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


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _resolve_percentages_function():
    from weasyprint.formatting_structure.boxes import Box, PageBox
    from weasyprint.layout import percent

    percentage = percent.percentage
    resolve_one_percentage = percent.resolve_one_percentage
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
        ):
            value = style[name]
            unit = getattr(value, "unit", None)
            if unit == "px":
                value = value.value
            elif unit == "%":
                value = refer_to * value.value / 100
            elif value is not None and value != "auto":
                value = percentage(value, style, refer_to)
            if value == "auto" and name == "min_width":
                value = 0
            setattr(box, name, value)

        if cb_height == "auto":
            height = style["height"]
            if height == "auto" or check_math(height) or height.unit == "%":
                box.height = "auto"
            else:
                box.height = height.value
            resolve_one_percentage(box, "min_height", 0)
            resolve_one_percentage(box, "max_height", inf)
        else:
            resolve_one_percentage(box, "height", cb_height)
            resolve_one_percentage(box, "min_height", cb_height)
            resolve_one_percentage(box, "max_height", cb_height)

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

        adjust_box_sizing(box, "width")
        adjust_box_sizing(box, "height")

    return resolve_percentages
