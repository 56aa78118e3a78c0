"""Plain-dict contexts for the document templates.

Templates render from dicts of strings, numbers, Decimals, datetimes and lists, never from
model instances, so they render the same from the database, from tests and from benchmarks.
The expected shapes are documented in docs/documents.md.
"""

from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from deliberation import rules
from deliberation.documents.qr import ballot_qr_payload, ballot_short_code, qr_png_data_uri
from deliberation.services.votes import ballot_sheets, result_context


def notice_context(notice):
    return {
        "title": notice.title,
        "community": notice.community.name,
        "kind_label": str(notice.get_kind_display()),
        "body": notice.body,
        "published_at": notice.published_at,
        "ends_at": notice.ends_at,
        "period_days": notice.period_days,
    }


def vote_result_context(vote):
    """The announcement's context from the votes service (result_context)."""
    return vote_result_document(result_context(vote))


def ballots_context(vote):
    """Every holder's personalised ballot, from the votes service (ballot_sheets)."""
    return with_ballot_codes(ballot_sheets_document(vote, ballot_sheets(vote)))


BALLOT_QR_MASK = 0


def with_ballot_codes(context):
    """Give each ballot sheet its signed QR code (teller entry scans it) and a sheet number."""
    vote_id = context.get("vote_id", 0)
    sheets = []
    for number, sheet in enumerate(context.get("sheets") or [], start=1):
        sheet = dict(sheet)
        sheet.setdefault("number", number)
        payload = sheet.get("qr_payload") or ballot_qr_payload(vote_id, sheet.get("head", ""))
        sheet["qr_payload"] = payload
        sheet.setdefault("short_code", ballot_short_code(vote_id, sheet.get("head", "")))
        # One pixel per module, printed without smoothing (image-rendering: pixelated): as
        # sharp as SVG and cheaper to lay out, which counts at hundreds of sheets. A fixed
        # mask: choosing the best of eight took three quarters of the time of each code.
        sheet["qr"] = qr_png_data_uri(payload, scale=1, mask=BALLOT_QR_MASK)
        sheets.append(sheet)
    return {**context, "sheets": sheets}


def _decimal(value):
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def _share(part, whole):
    """ "75.46%" of exact values, rounded only for display; "—" without a whole."""
    part, whole = _decimal(part), _decimal(whole)
    if part is None or not whole:
        return "—"
    return f"{(part * 100 / whole).quantize(Decimal('0.01'))}%"


def threshold_label(code):
    """过半数 / 四分之三以上: the matter's approval threshold in words."""
    matter = rules.MATTERS.get(code)
    if matter is None:
        return ""
    words = {
        (Fraction(1, 2), False): _("more than half"),
        (Fraction(3, 4), True): _("at least three quarters"),
        (Fraction(2, 3), True): _("at least two thirds"),
    }
    key = (matter.threshold, matter.inclusive)
    fallback = f"{'≥' if matter.inclusive else '>'} {matter.threshold}"
    return words.get(key, fallback)


def is_chinese():
    return (translation.get_language() or settings.LANGUAGE_CODE).startswith("zh")


def vote_result_document(raw):
    """The announcement's template context from deliberation.services.votes.result_context."""
    vote = raw.get("vote") or {}
    totals = None
    matters = []
    for m in raw.get("matters") or []:
        f = m.get("figures") or {}
        if f and totals is None:
            totals = {"area": _decimal(f.get("total_area")), "heads": f.get("total_headcount")}
        rows = []
        if f:
            part_area, part_heads = f.get("participating_area"), f.get("participating_headcount")
            rows.append(
                {
                    "label": _("Took part"),
                    "area": _decimal(part_area),
                    "heads": part_heads,
                    "share": f"{_share(part_area, f.get('total_area'))} / "
                    f"{_share(part_heads, f.get('total_headcount'))}",
                }
            )
            labelled = [("spoiled", _("Spoiled"))]
            if f.get("kind") != "election":
                labelled = [
                    ("yes", _("For")),
                    ("no", _("Against")),
                    ("abstain", _("Abstain")),
                    *labelled,
                ]
            for key, label in labelled:
                area, heads = f.get(f"{key}_area"), f.get(f"{key}_headcount")
                rows.append(
                    {
                        "label": label,
                        "area": _decimal(area),
                        "heads": heads,
                        "share": f"{_share(area, part_area)} / {_share(heads, part_heads)}",
                    }
                )
        election = None
        if f.get("kind") == "election":
            elected, alternates = f.get("elected") or [], f.get("alternates") or []
            ranked = sorted(
                f.get("candidates") or [],
                key=lambda c: (-(c.get("headcount") or 0), -(_decimal(c.get("area")) or 0)),
            )
            candidates = []
            for rank, c in enumerate(ranked, start=1):
                if c.get("result"):
                    result = c["result"]  # the votes service's reading of the count
                elif c.get("name") in elected:
                    result = _("Elected")
                elif c.get("name") in alternates:
                    result = _("Alternate member")
                elif c.get("qualified"):
                    result = _("Passed, not elected")
                else:
                    result = _("Did not reach the threshold")
                candidates.append(
                    {
                        "rank": rank,
                        "name": c.get("name", ""),
                        "heads": c.get("headcount"),
                        "area": _decimal(c.get("area")),
                        "result": result,
                    }
                )
            election = {
                "failed_participation": bool(m.get("failed_participation")),
                "candidates": candidates,
                "elected": elected,
                "alternates": alternates,
                "vacancies": f.get("vacancies") or 0,
            }
        deemed = None
        if f.get("deemed"):
            d = f["deemed"]
            deemed = {
                "outcome": _("Passed") if d.get("passed") else _("Not passed"),
                "reasons": [
                    r.get("zh" if is_chinese() else "en", "") for r in d.get("reasons") or []
                ],
            }
        matters.append(
            {
                "position": m.get("position"),
                "title": m.get("title", ""),
                "code_label": m.get("rule_zh") if is_chinese() else m.get("rule_en", ""),
                "threshold_label": threshold_label(m.get("code", "")),
                "rows": rows,
                "quorum_met": f.get("participation_met"),
                "participation_lines": [
                    line.get("text", "") for line in m.get("participation_lines") or []
                ],
                "passed": m.get("passed"),
                "outcome": m.get("verdict", ""),
                "reasons": m.get("reason_lines") or [],
                "deemed": deemed,
                "election": election,
            }
        )
    return {
        "title": vote.get("title", ""),
        "community": vote.get("community", ""),
        "estate": vote.get("estate", ""),
        "opens_at": vote.get("opens_at"),
        "closes_at": vote.get("closes_at"),
        "counted_at": vote.get("counted_at"),
        "published_at": vote.get("published_at"),
        "totals": totals or {"area": None, "heads": None},
        "tellers": raw.get("confirmed_by") or [],
        "matters": matters,
    }


def ballot_sheets_document(vote, sheets):
    """The ballots' template context from deliberation.services.votes.ballot_sheets."""
    matters = []
    if sheets:
        for m in sheets[0].get("matters") or []:
            election = m.get("kind", "ordinary") != "ordinary"  # committee or company
            matters.append(
                {
                    "position": m.get("position"),
                    "title": m.get("title", ""),
                    "seats": m.get("seats", 1),
                    "candidates": list(m.get("options") or []) if election else [],
                }
            )
    return {
        "vote_id": vote.pk,
        "title": vote.title,
        "community": vote.community.name,
        "estate": vote.estate.name,
        "opens_at": vote.opens_at,
        "closes_at": vote.closes_at,
        "matters": matters,
        "sheets": [
            {
                "head": s.get("head", ""),
                "holder_name": s.get("holder_name", ""),
                "units": s.get("units") or [],
                "area": s.get("area"),
            }
            for s in sheets
        ],
    }
