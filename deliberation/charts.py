"""Server-rendered SVG charts: readable on a phone, accessible, no script and no colour code.

Each chart is `<svg role="img">` with a `<title>` and a `<desc>` that says the figures in words;
pages put the same numbers in a table next to it. Series differ by fill style (solid or
outlined) and are named in a legend, so nothing depends on telling colours apart. Every piece
of text is escaped.
"""

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language


def _punctuation():
    """(colon, semicolon) of the reader's language: full-width in Chinese."""
    if (get_language() or "").startswith("zh"):
        return "：", "；"
    return ": ", "; "


INK = "#1a1a1a"
BRAND = "#0b57a4"
WASH = "#f3f5f7"


def _svg(chart_id, title, desc, width, height, body):
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {w} {h}" width="100%" '
        'preserveAspectRatio="xMinYMin meet" aria-labelledby="{id}-t {id}-d">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>{body}</svg>',
        w=width,
        h=height,
        id=chart_id,
        title=title,
        desc=desc,
        body=mark_safe(body),  # noqa: S308  built below from escaped parts only
    )


def _text(x, y, text, *, anchor="start", size=13, weight="normal"):
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-weight="{weight}" fill="{INK}">{escape(text)}</text>'
    )


def hbar_chart(chart_id, title, rows, *, legend=""):
    """Horizontal bars of a rate, one per row: (label, Ratio). The bar length is the rate;
    the text beside it gives "numerator/denominator · percent"."""
    # Drawn at a phone's width (360 units), so text stays readable without zooming.
    width, left, bar_h, gap = 360, 104, 24, 14
    height = max(1, len(rows)) * (bar_h + gap) + 30
    parts = []
    y = 24
    if legend:
        parts.append(_text(0, 14, legend, size=12))
    for label, ratio in rows:
        span = width - left - 112
        share = float(ratio.fraction) if ratio.fraction is not None else 0.0
        parts.append(_text(left - 6, y + bar_h - 7, str(label)[:7], anchor="end", size=14))
        parts.append(
            f'<rect x="{left}" y="{y}" width="{span}" height="{bar_h}" fill="{WASH}" '
            f'stroke="{INK}" stroke-width="1"/>'
        )
        parts.append(
            f'<rect x="{left}" y="{y}" width="{span * share:.1f}" height="{bar_h}" fill="{BRAND}"/>'
        )
        parts.append(_text(left + span + 6, y + 11, ratio.percent, size=13, weight="bold"))
        parts.append(_text(left + span + 6, y + bar_h + 2, str(ratio), size=12))
        y += bar_h + gap
    colon, semicolon = _punctuation()
    desc = (
        semicolon.join(f"{label}{colon}{ratio} ({ratio.percent})" for label, ratio in rows) or "—"
    )
    return _svg(chart_id, title, desc, width, height, "".join(parts))


def month_chart(chart_id, title, rows, *, first_label, second_label):
    """Grouped columns per month: `first` outlined, `second` solid, with a legend in words.

    rows: (month label, first count, second count)."""
    width, height, top, bottom, left = 360, 230, 36, 34, 30
    plot_h = height - top - bottom
    n = max(1, len(rows))
    slot = (width - left - 10) / n
    col = max(2.0, slot * 0.36)
    peak = max([1] + [max(a, b) for _, a, b in rows])
    parts = [
        f'<rect x="{left}" y="8" width="14" height="14" fill="{WASH}" stroke="{INK}"/>',
        _text(left + 20, 20, first_label, size=14),
        f'<rect x="{left + 140}" y="8" width="14" height="14" fill="{BRAND}" stroke="{INK}"/>',
        _text(left + 160, 20, second_label, size=14),
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" '
        f'stroke="{INK}"/>',
        _text(left - 4, top + 10, str(peak), anchor="end", size=12),
        _text(left - 4, top + plot_h, "0", anchor="end", size=12),
    ]
    step = max(1, -(-n // 4))  # about four month labels fit across a phone
    for i, (label, first, second) in enumerate(rows):
        x = left + i * slot + slot * 0.1
        for offset, value, fill in ((0, first, WASH), (col, second, BRAND)):
            h = plot_h * value / peak
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{top + plot_h - h:.1f}" width="{col:.1f}" '
                f'height="{h:.1f}" fill="{fill}" stroke="{INK}" stroke-width="1"/>'
            )
        if i % step == 0:
            parts.append(_text(x, height - bottom + 20, label, size=12))
    colon, semicolon = _punctuation()
    comma = "，" if colon == "：" else ", "
    desc = semicolon.join(
        f"{label}{colon}{first_label} {first}{comma}{second_label} {second}"
        for label, first, second in rows
    )
    return _svg(chart_id, title, desc, width, height, "".join(parts))
