"""The opinion map's operations: write, moderate and answer statements; compute the map.

Permission comes from the `may()` table (`opinion.*`); moderation is audited. Answers are not
audited one by one: the audit log would then hold each resident's position on each statement,
which the map exists never to show; an answer changes nothing but the map.
"""

import io
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, Max, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django_tasks import task

from deliberation import opinion_map
from deliberation.access import require_in_phase, roles_of
from deliberation.audit import record_audit
from deliberation.messages import Message
from deliberation.models import LatestOpinionMap, Moderation, Statement, StatementVote, Topic
from deliberation.models.opinion import STATEMENT_MAX_LENGTH
from deliberation.permissions import may
from deliberation.signals import opinion_map_drawn

MIN_GROUP_SHOWN = 5  # a group smaller than this is never shown on its own

STATE_MESSAGES = {
    "opinion.write": gettext_lazy(
        "Statements can be written only while the topic is under discussion."
    ),
    "opinion.vote": gettext_lazy(
        "Statements can be answered only while the topic is under discussion."
    ),
}


NOT_NOW = gettext_lazy("This cannot be done now.")


def _require(user, topic, action):
    require_in_phase(user, topic, action, STATE_MESSAGES, NOT_NOW)


def _lock(topic):
    return Topic.objects.select_for_update().get(pk=topic.pk)


def write_statement(topic, *, by, text):
    """A resident's statement, waiting for the worker's moderation before anyone answers it."""
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError(_("Please write your statement."))
    if len(text) > STATEMENT_MAX_LENGTH:
        raise ValidationError(
            _("A statement can be at most %(limit)d characters; yours has %(length)d.")
            % {"limit": STATEMENT_MAX_LENGTH, "length": len(text)}
        )
    with transaction.atomic():
        topic = _lock(topic)
        _require(by, topic, "opinion.write")
        existing = Statement.objects.filter(topic=topic, text=text).first()
        if existing is not None:
            raise ValidationError(_("This statement has already been written."))
        statement = Statement.objects.create(topic=topic, author=by, text=text)
        record_audit(
            actor=by,
            verb="opinion.statement",
            target=topic,
            data={"statement": statement.pk},
            public=False,
        )
    return statement


def moderate_statement(statement, *, by, show, reason=""):
    """Show a statement for answering, or hide it with a reason (its answers leave the map)."""
    reason = (reason or "").strip()
    if not show and not reason:
        raise ValidationError(_("Please give the reason for hiding the statement."))
    with transaction.atomic():
        topic = _lock(statement.topic)
        roles = roles_of(by, topic.community_id)
        if not may(roles, "opinion.moderate", topic.phase):
            raise PermissionDenied
        statement = Statement.objects.select_for_update().get(pk=statement.pk)
        state = Moderation.APPROVED if show else Moderation.HIDDEN
        if statement.state == state:
            raise ValidationError(
                _("This statement is already shown.")
                if show
                else _("This statement is already hidden.")
            )
        statement.state = state
        statement.reason = "" if show else reason
        statement.moderated_by = by
        statement.moderated_at = timezone.now()
        statement.save(update_fields=["state", "reason", "moderated_by", "moderated_at"])
        record_audit(
            actor=by,
            verb="opinion.show" if show else "opinion.hide",
            target=topic,
            data={"statement": statement.pk, "reason": statement.reason},
        )
        request_map(topic)  # a shown statement joins the map, a hidden one leaves it
    return statement


def answer_statement(statement, *, by, vote):
    """Agree (1), disagree (-1) or pass (0); answering again replaces the earlier answer.

    Returns True when an earlier answer was replaced.
    """
    if vote not in (StatementVote.AGREE, StatementVote.DISAGREE, StatementVote.PASS):
        raise ValidationError(_("Please choose agree, disagree or pass."))
    with transaction.atomic():
        topic = _lock(statement.topic)
        _require(by, topic, "opinion.vote")
        statement = Statement.objects.get(pk=statement.pk)
        if statement.topic_id != topic.pk or statement.state != Moderation.APPROVED:
            raise ValidationError(_("This statement is not open for answers."))
        _vote, created = StatementVote.objects.update_or_create(
            statement=statement, participant=by, defaults={"vote": vote, "topic": topic}
        )
        request_map(topic)
    return not created


def next_statement(topic, user):
    """The shown statement the user has not answered yet, oldest first; None when done.

    A person's own statements come last: they are likely to agree with them.
    """
    answered = StatementVote.objects.filter(topic=topic, participant=user).values("statement_id")
    return (
        Statement.objects.filter(topic=topic, state=Moderation.APPROVED)
        .exclude(pk__in=answered)
        .annotate(own=Case(When(author=user, then=Value(1)), default=Value(0)))
        .order_by("own", "created_at", "pk")
        .first()
    )


def progress(topic, user):
    """(answered, shown) statements for the user."""
    shown = Statement.objects.filter(topic=topic, state=Moderation.APPROVED).count()
    answered = StatementVote.objects.filter(
        topic=topic, participant=user, statement__state=Moderation.APPROVED
    ).count()
    return answered, shown


def _stamp(topic):
    """What the map depends on: the answers (latest time, count) and the moderation."""
    votes = StatementVote.objects.filter(topic=topic).aggregate(
        latest=Max("updated_at"), count=Count("pk")
    )
    moderated = Statement.objects.filter(topic=topic).aggregate(latest=Max("moderated_at"))
    parts = (votes["latest"], votes["count"], moderated["latest"])
    return "-".join(
        "0" if p is None else str(p.timestamp() if hasattr(p, "timestamp") else p) for p in parts
    )


def compute_map(topic):
    """The map of a topic as plain data (opinion_map.as_dict), computed from the database.

    Up to a second of CPU for a large topic (bench/opinion_map.py): only the task queue calls
    it (recompute_map), never a request.
    """
    statements = list(
        Statement.objects.filter(topic=topic)
        .exclude(state=Moderation.PENDING)
        .values_list("pk", "state")
    )
    removed = {pk for pk, state in statements if state == Moderation.HIDDEN}
    # One row per person and statement (a later answer replaces the earlier one in place), so
    # no order is needed for "latest wins"; not reading the times saves parsing 300,000 dates.
    rows = [
        (participant, statement, vote, 0)
        for participant, statement, vote in StatementVote.objects.filter(topic=topic).values_list(
            "participant_id", "statement_id", "vote"
        )
    ]
    result = opinion_map.compute(rows, [pk for pk, _state in statements], removed)
    return opinion_map.as_dict(result)


def request_map(topic):
    """Queue one recompute of the topic's map, unless one already waits.

    Called inside the transaction of the change (an answer, a moderation), so the task is
    queued with it or not at all (the database queue shares the transaction). However many
    answers arrive while one waits, it stays one: the waiting recompute reads them all. A
    recompute that waited longer than JOB_STALL_SECONDS (its worker lost) is queued again.
    """
    row, _created = LatestOpinionMap.objects.select_for_update().get_or_create(topic_id=topic.pk)
    now = timezone.now()  # under the row's lock: after the start of any recompute not seeing it
    row.changed_at = now
    stalled = now - timedelta(seconds=settings.JOB_STALL_SECONDS)
    if row.queued_at is not None and row.queued_at > stalled:
        row.save(update_fields=["changed_at"])
        return False
    row.queued_at = now
    row.save(update_fields=["queued_at", "changed_at"])
    recompute_opinion_map.enqueue(topic.pk)
    return True


def requeue_lost_map(topic):
    """Queue the topic's map again if the recompute it waits for was lost with its worker.

    For the map pages, which ask while a drawing is due: lost is a queued recompute not begun
    within JOB_STALL_SECONDS, or one begun (its mark cleared) that stored nothing although the
    last change is older than that. A look is not a change: changed_at is left alone, so a
    drawing under way when someone looks is not made stale by the look.
    """
    row = LatestOpinionMap.objects.select_for_update().filter(topic_id=topic.pk).first()
    now = timezone.now()
    stalled = now - timedelta(seconds=settings.JOB_STALL_SECONDS)
    if row is not None:
        if row.queued_at is not None and row.queued_at > stalled:
            return False  # waiting for a worker
        if row.queued_at is None and row.changed_at is not None and row.changed_at > stalled:
            return False  # being drawn
        row.queued_at = now
        row.save(update_fields=["queued_at"])
    else:
        LatestOpinionMap.objects.create(topic_id=topic.pk, queued_at=now, changed_at=now)
    recompute_opinion_map.enqueue(topic.pk)
    return True


@task()
def recompute_opinion_map(topic_id):
    """The task queue's side of request_map."""
    return recompute_map(topic_id)


def recompute_map(topic_id):
    """Draw the topic's map and store it, unless the stored one is already current.

    The waiting mark is cleared before reading the votes, so an answer given during the
    drawing queues the next one. Rooms whose open agenda item is this topic get the new map.
    Returns True when a new map was stored.
    """
    with transaction.atomic():
        row = LatestOpinionMap.objects.select_for_update().filter(topic_id=topic_id).first()
        if row is None:
            row = LatestOpinionMap.objects.create(topic_id=topic_id)
        LatestOpinionMap.objects.filter(pk=row.pk).update(queued_at=None)
        # Under the lock that request_map takes: an answer committed after this has a later
        # changed_at, and one before it is read below.
        basis = timezone.now()
    topic = Topic.objects.filter(pk=topic_id).first()
    if topic is None:
        return False
    stamp = _stamp(topic)
    if row.data is not None and row.stamp == stamp:
        # Current: nothing to draw; it is current as of this recompute.
        LatestOpinionMap.objects.filter(pk=row.pk, basis__lt=basis).update(basis=basis)
        return False
    try:
        data = compute_map(topic)
    except Exception:
        # Not again at once (each open map page would queue it every few seconds), but after
        # JOB_STALL_SECONDS, as for a recompute lost with its worker; the failure is logged.
        LatestOpinionMap.objects.filter(pk=row.pk).update(queued_at=timezone.now())
        raise
    # Who is in which group is never shown, so it is not kept either: only how many answered.
    participants = data.pop("participants", {})
    data["participant_count"] = len(participants)
    with transaction.atomic():
        row = LatestOpinionMap.objects.select_for_update().get(pk=row.pk)
        if row.basis is not None and row.basis > basis:
            return False  # a drawing that read the answers later finished first
        row.data, row.stamp, row.basis = data, stamp, basis
        row.computed_at = timezone.now()
        row.save(update_fields=["data", "stamp", "basis", "computed_at"])
        transaction.on_commit(lambda: _tell_rooms(topic_id))
    return True


def _tell_rooms(topic_id):
    opinion_map_drawn.send(LatestOpinionMap, topic_id=topic_id)


def latest_map(topic):
    """(the stored map row or None, whether it reflects every answer and moderation).

    One row read, no counting: the map pages ask it on every look and every poll.
    """
    row = LatestOpinionMap.objects.filter(topic=topic).first()
    if row is None or row.data is None:
        return row, False
    return row, row.changed_at is None or (row.basis is not None and row.basis >= row.changed_at)


def map_for(topic):
    """The topic's map as last drawn (opinion_map.as_dict), or None before the first drawing.

    Never computed here: pages, downloads and the decision read what the task queue stored.
    """
    row = LatestOpinionMap.objects.filter(topic=topic).first()
    return row.data if row is not None else None


EMPTY_MAP = {"participant_count": 0, "grouped": 0, "groups": [], "consensus": [], "divisive": []}


def shown_map(topic, data=None):
    """The map as people see it: groups under MIN_GROUP_SHOWN folded into one count, texts in.

    Nobody's own position is ever part of it: only group sizes and statements.
    """
    if data is None:
        data = map_for(topic) or EMPTY_MAP
    texts = dict(Statement.objects.filter(topic=topic).values_list("pk", "text"))
    groups = [g for g in data["groups"] if g["size"] >= MIN_GROUP_SHOWN]
    folded = sum(g["size"] for g in data["groups"] if g["size"] < MIN_GROUP_SHOWN)

    def with_text(items):
        return [dict(item, text=texts.get(item["statement"], "")) for item in items]

    letters = "ABCDE"
    shown = []
    for index, group in enumerate(groups):
        shown.append(
            {
                "letter": letters[index],
                "size": group["size"],
                "center": group["center"],
                "representative": with_text(group["representative"]),
            }
        )
    participants = data.get("participant_count", len(data.get("participants", ())))
    return {
        "groups": shown,
        "folded": folded,
        "grouped": data.get("grouped", 0),
        "participants": participants,
        "ungrouped": participants - data.get("grouped", 0),
        "consensus": with_text(data["consensus"]),
        "divisive": with_text(data["divisive"]) if len(shown) >= 2 else [],
        "ready": bool(data["groups"]),
        "svg": _svg_layout(shown),
    }


def _svg_layout(groups, width=320, height=200):
    """Circles for the shown groups at their centres, area by size, in a `width` × `height` box.

    Both axes keep one scale, so distances mean the same across and down; the picture is
    centred in the box.
    """
    if not groups:
        return []
    biggest = max(g["size"] for g in groups)
    radii = [12 + 30 * (g["size"] / biggest) ** 0.5 for g in groups]
    margin = max(radii) + 4
    xs = [g["center"][0] for g in groups]
    ys = [g["center"][1] for g in groups]
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    scales = [(width - 2 * margin) / span_x if span_x else None]
    scales.append((height - 2 * margin) / span_y if span_y else None)
    scale = min([s for s in scales if s is not None], default=0)
    mid_x, mid_y = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return [
        {
            "letter": group["letter"],
            "size": group["size"],
            "x": round(width / 2 + (group["center"][0] - mid_x) * scale),
            "y": round(height / 2 + (group["center"][1] - mid_y) * scale),
            "r": round(radius),
        }
        for group, radius in zip(groups, radii, strict=True)
    ]


def map_xlsx(topic, *, language="zh-hans"):
    """The map as people see it (shown_map), as an .xlsx: groups, what sets each apart, the
    consensus and the divisions. Statement texts are written as text, never as formulas."""
    from openpyxl import Workbook

    # The register's export already knows how to keep a typed "=…" from running in Excel/WPS.
    from deliberation.register_io import _safe_cell

    en = language == "en"
    shown = shown_map(topic)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Opinion map" if en else "意见地图")

    def row(*values):
        sheet.append([_safe_cell(sheet, v) for v in values])

    def direction(item):
        if item["direction"] == "agree":
            return "Agree" if en else "同意"
        return "Disagree" if en else "不同意"

    row("Topic" if en else "议题", topic.title)
    drawn = LatestOpinionMap.objects.filter(topic=topic).values_list("computed_at", flat=True)
    drawn = drawn.first()
    row(
        "Computed" if en else "生成时间",
        timezone.localtime(drawn).strftime("%Y-%m-%d %H:%M") if drawn else "",
    )
    row("People who answered" if en else "参与表态人数", shown["participants"])
    row("Placed in a group" if en else "归入群体人数", shown["grouped"])
    row()
    row("Group" if en else "群体", "People" if en else "人数")
    for group in shown["groups"]:
        row(group["letter"], group["size"])
    if shown["folded"]:
        row("Groups under 5 people" if en else "不足 5 人的群体", shown["folded"])
    row()
    row(
        "Group" if en else "群体",
        "Answer" if en else "表态",
        "Statement" if en else "意见",
        "Share of the group" if en else "占本组比例",
    )
    for group in shown["groups"]:
        for item in group["representative"]:
            row(group["letter"], direction(item), item["text"], round(item["share"], 3))
    row()
    row("Consensus (共识)" if en else "各群体的共识", "Answer" if en else "表态")
    for item in shown["consensus"]:
        row(item["text"], direction(item))
    row()
    row("Where the groups differ most" if en else "分歧最大的意见")
    for item in shown["divisive"]:
        row(item["text"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _summary_lines(shown):
    """The map's summary as stored messages, so each reader of a notice gets their language."""
    lines = [
        Message(gettext_noop("Opinion map (it informs the decision; it is not a vote):")),
        Message(
            gettext_noop("%(n)d people answered the statements, in %(groups)d groups:"),
            n=shown["participants"],
            groups=len(shown["groups"]),
        ),
    ]
    for g in shown["groups"]:
        lines.append(
            Message(
                gettext_noop("- group %(letter)s: %(n)d people"), letter=g["letter"], n=g["size"]
            )
        )
    if shown["consensus"]:
        lines.append(Message(gettext_noop("What all groups agree on (共识):")))
        for item in shown["consensus"]:
            template = (
                gettext_noop("- Agree: %(text)s")
                if item["direction"] == "agree"
                else gettext_noop("- Disagree: %(text)s")
            )
            lines.append(Message(template, text=item["text"]))
    return lines


def summary_for_minutes(topic):
    """The map in one paragraph for a meeting's minutes, or "" when the topic has none."""
    if not StatementVote.objects.filter(topic=topic).exists():
        return ""
    shown = shown_map(topic)
    return " ".join(str(line) for line in _summary_lines(shown)) if shown["ready"] else ""


def snapshot_for_decision(topic):
    """Freeze the map with the decision; returns the notice's lines about it ([] without one).

    Called by the decision's service inside its transaction.
    """
    from deliberation.models import OpinionSnapshot

    if not StatementVote.objects.filter(topic=topic).exists():
        return []
    shown = shown_map(topic)
    if not shown["ready"]:
        return []
    data = {key: value for key, value in shown.items() if key != "svg"}
    OpinionSnapshot.objects.update_or_create(topic=topic, defaults={"data": data})
    return ["", *_summary_lines(shown)]


POLIS_MODERATION = {Moderation.APPROVED: 1, Moderation.PENDING: 0, Moderation.HIDDEN: -1}


def polis_export(topic, directory):
    """Write the topic's statements and answers in Polis's open-data format.

    ``comments.csv`` and ``votes.csv`` as Polis exports them, readable by
    `opinion_map.read_polis_export` and by Polis's own tools. People appear under numbers given
    in the order of their first answer or statement, never their names or account ids.
    """
    import csv
    from pathlib import Path

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    statements = list(Statement.objects.filter(topic=topic).order_by("created_at", "pk"))
    votes = list(
        StatementVote.objects.filter(topic=topic)
        .order_by("updated_at", "pk")
        .values_list("updated_at", "statement_id", "participant_id", "vote")
    )
    events = sorted(
        [(s.created_at, s.author_id) for s in statements]
        + [(at, person) for at, _s, person, _v in votes]
    )
    number = {}
    for _at, person in events:
        number.setdefault(person, len(number))
    comment_id = {s.pk: index for index, s in enumerate(statements)}
    counts = {}
    for _at, statement, _person, vote in votes:
        agrees, disagrees = counts.get(statement, (0, 0))
        counts[statement] = (agrees + (vote == 1), disagrees + (vote == -1))

    def stamp(moment):
        return int(moment.timestamp() * 1000), timezone.localtime(moment).strftime(
            "%a %b %d %H:%M:%S %Z %Y"
        )

    with (directory / "comments.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "datetime", "comment-id", "author-id", "agrees",
                         "disagrees", "moderated", "comment-body"])  # fmt: skip
        for statement in statements:
            agrees, disagrees = counts.get(statement.pk, (0, 0))
            writer.writerow(
                [
                    *stamp(statement.created_at),
                    comment_id[statement.pk],
                    number[statement.author_id],
                    agrees,
                    disagrees,
                    POLIS_MODERATION[statement.state],
                    statement.text,
                ]  # fmt: skip
            )
    with (directory / "votes.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "datetime", "comment-id", "voter-id", "vote"])
        for at, statement, person, vote in votes:
            writer.writerow([*stamp(at), comment_id[statement], number[person], vote])
    return len(statements), len(votes), len(number)
