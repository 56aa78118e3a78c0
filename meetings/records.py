"""A meeting's minutes and hearing record as the document templates print them.

Plain dicts, as every document context (deliberation/documents/contexts.py): the minutes
(documents/minutes.html) and the hearing record (documents/hearing_record.html) render the
same from the database, from tests and from benchmarks.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.documents.contexts import is_chinese
from meetings.rendering import quorum_of
from meetings.services import minutes_context as meeting_record


def minutes_context(meeting):
    """The meeting's record (meetings.services.minutes_context) with its time and quorum."""
    context = meeting_record(meeting)
    context.setdefault("generated_at", timezone.now())
    context.setdefault("quorum", meeting_quorum(meeting, context))
    return context


def meeting_quorum(meeting, record):
    """{met, text} for the minutes' header, or None where no quorum applies.

    An owners' session counts present area and heads against two thirds (the room's own
    count); other meetings use the community's consultation quorum, when it has one.
    """
    if meeting.is_owners_session:
        count = quorum_of(meeting)
        if count is None:
            return None
        text = _("%(area)s of %(total_area)s m², %(heads)s of %(total_heads)s heads") % count
        lines = [r.zh if is_chinese() else r.en for r in count["reasons"]]
        return {"met": count["met"], "text": text, "lines": lines}
    needed = meeting.community.consultation_quorum
    if not needed:
        return None
    present = record.get("present_count", 0)
    text = _("%(present)s present, %(needed)s needed") % {"present": present, "needed": needed}
    return {"met": present >= needed, "text": text}


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
