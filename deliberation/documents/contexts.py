"""Plain-dict contexts for the document templates.

Templates render from dicts of strings, numbers, Decimals, datetimes and lists, never from
model instances, so they render the same from the database, from tests and from benchmarks.
The expected shapes are documented in docs/documents.md.
"""

from django.utils import timezone


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


def minutes_context(meeting):
    """The meetings app's record of a meeting (meetings.services.minutes_context)."""
    from meetings.services import minutes_context as meeting_record

    context = meeting_record(meeting)
    context.setdefault("generated_at", timezone.now())
    return context


def vote_result_context(vote):
    from deliberation.services.votes import result_context

    return result_context(vote)


def ballots_context(vote):
    from deliberation.services.votes import ballot_sheets

    return ballot_sheets(vote)


# Minutes entries the room writes by itself ("the chair opened item 2") are left out of the
# printed proceedings: the agenda structure already says it.
_PRINTED_KINDS = {"note", "decision", "speech"}


def prepare_meeting_record(record):
    """Add what the minutes and hearing templates print to a meetings minutes_context dict.

    Pure: works on the dict alone. Adds per item `notes`, and `general_notes`, `decisions`
    and `stages` (the hearing's stages in order, each with its statements, questions and
    answers in the order they were made).
    """
    record = dict(record)
    entries = record.get("entries") or []
    items = []
    for item in record.get("items") or []:
        item = dict(item)
        item["notes"] = [
            e
            for e in entries
            if e.get("item") == item.get("position")
            and e.get("kind") in _PRINTED_KINDS
            and not e.get("automatic")
        ]
        items.append(item)
    record["items"] = items
    record["general_notes"] = [
        e
        for e in entries
        if e.get("item") is None and e.get("kind") in _PRINTED_KINDS and not e.get("automatic")
    ]
    record["decisions"] = [i["decision"] for i in items if i.get("decision")]
    record["stages"] = hearing_stages(record)
    return record


def hearing_stages(record):
    """The hearing as stages: each stage entry opens a stage; speeches join by time."""
    timeline = []
    for e in record.get("entries") or []:
        if e.get("kind") == "stage" or (e.get("kind") in _PRINTED_KINDS and not e.get("automatic")):
            timeline.append(
                {
                    "at": e.get("at"),
                    "stage": e.get("kind") == "stage",
                    "who": "",
                    "kind_label": e.get("kind_label", ""),
                    "text": e.get("text", ""),
                }
            )
    for item in record.get("items") or []:
        for s in item.get("speeches") or []:
            timeline.append(
                {
                    "at": s.get("at"),
                    "stage": False,
                    "who": s.get("name", ""),
                    "kind_label": "",
                    "text": s.get("summary", ""),
                }
            )
    # A stable sort by time; entries without a time keep their place at the end.
    timeline.sort(key=lambda e: (0, e["at"]) if e["at"] else (1, 0))
    stages = []
    current = None
    for e in timeline:
        if e["stage"]:
            current = {"label": e["text"], "at": e["at"], "entries": []}
            stages.append(current)
            continue
        if current is None:
            current = {"label": "", "at": None, "entries": []}
            stages.append(current)
        current["entries"].append(e)
    return stages


def with_ballot_codes(context):
    """Give each ballot sheet its signed QR code (teller entry scans it) and a sheet number."""
    from deliberation.documents.qr import ballot_qr_payload, qr_svg_data_uri

    vote_id = context.get("vote_id", 0)
    sheets = []
    for number, sheet in enumerate(context.get("sheets") or [], start=1):
        sheet = dict(sheet)
        sheet.setdefault("number", number)
        payload = sheet.get("qr_payload") or ballot_qr_payload(vote_id, sheet.get("head", ""))
        sheet["qr_payload"] = payload
        sheet["qr"] = qr_svg_data_uri(payload)
        sheets.append(sheet)
    return {**context, "sheets": sheets}
