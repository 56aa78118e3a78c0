"""Results: confirmation and publication of a tallied vote, and plain data for documents,
exports and other features (`result_context`, `published_verdict`, `building_breakdown`,
`vote_result_for_topic`)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, gettext_noop
from django.utils.translation import gettext as _

from deliberation.audit import record_audit
from deliberation.delivery import queue_delivery
from deliberation.messages import Bilingual, Message
from deliberation.models import (
    AssemblyVote,
    Ballot,
    ElectorateEntry,
    NoticeKind,
    ResultConfirmation,
    VoteResult,
    VoteStatus,
)
from deliberation.natural import natural_key
from deliberation.notices import publish_notice
from deliberation.services.votes.elections import _seat_new_committee
from deliberation.services.votes.roles import VoteError, _lock, _require
from deliberation.signals import vote_result_published


def confirmations_needed(vote):
    return max(1, min(2, vote.tellers.count()))


def confirm_result(vote, *, by):
    with transaction.atomic():
        vote = _lock(vote)
        _require(by, vote, "vote.confirm")
        _row, created = ResultConfirmation.objects.get_or_create(vote=vote, teller=by)
        if not created:
            raise VoteError(_("You have already confirmed this count."), code="twice")
        record_audit(actor=by, verb="vote.confirm", target=vote, community=vote.community, data={})
    return vote


# What a published result says of each matter, by `passed` (None: not counted).
VERDICTS = {
    None: gettext_lazy("Not yet counted"),
    True: gettext_lazy("Passed"),
    False: gettext_lazy("Not passed"),
    # The vote did not stand: the approval figures decide nothing.
    "no_participation": gettext_lazy("Not passed: participation did not reach two thirds"),
}


def publish_result(vote, *, by):
    """Post the confirmed result on the notice board; elected members get the committee role."""
    with transaction.atomic():
        vote = _lock(vote)
        _require(by, vote, "vote.publish_result")
        needed = confirmations_needed(vote)
        if vote.confirmations.count() < needed:
            raise VoteError(
                _("%(n)s tellers must confirm the count before it is published.") % {"n": needed},
                code="unconfirmed",
            )
        now = timezone.now()
        context = result_context(vote)
        lines = []
        for item in context["matters"]:
            lines.append(
                Message(
                    gettext_noop("%(position)s. %(title)s: %(verdict)s"),
                    position=item["position"],
                    title=item["title"],
                    verdict=VERDICTS[
                        "no_participation"
                        if item["figures"].get("participation_met") is False
                        else item["passed"]
                    ],
                )
            )
            lines += [
                Message("  %(reason)s", reason=Bilingual(r["zh"], r["en"])) for r in item["reasons"]
            ]
        late = now > vote.closes_at + timedelta(days=vote.community.result_notice_days)
        notice = publish_notice(
            community=vote.community,
            kind=NoticeKind.VOTE_RESULT,
            title=Message(
                gettext_noop("Result of the owners' assembly vote: %(title)s"), title=vote.title
            ),
            body=lines,
            by=by,
            source=vote,
        )
        vote.status = VoteStatus.PUBLISHED
        vote.result_published_at = now
        vote.result_notice = notice
        vote.save(update_fields=["status", "result_published_at", "result_notice"])
        granted = _seat_new_committee(vote, by)
        record_audit(
            actor=by,
            verb="vote.publish_result",
            target=vote,
            community=vote.community,
            data={"notice": notice.pk, "late": late, "committee": granted},
        )
        # Served like the notice: every household, every channel, with proof.
        queue_delivery(notice, by=by)
        vote_result_published.send(AssemblyVote, vote=vote)  # its PDF, on a task worker
    return vote


def _failed_participation(result):
    return result is not None and result.figures.get("participation_met") is False


def _verdict_of(result):
    """The verdict words for a stored result (None: not counted yet)."""
    if result is None:
        return _("Not yet counted")
    if _failed_participation(result):
        # The vote did not stand: say so, rather than let the approval figures speak.
        return _("Not passed: participation did not reach two thirds")
    return _("Passed") if result.passed else _("Not passed")


def published_verdict(matter):
    """The published art. 278 result of one matter, for other features (the live room, the
    minutes): {"passed", "verdict", "vote_id", "vote_title"}, or None until it is published."""
    vote = matter.vote
    result = VoteResult.objects.filter(matter=matter).first()
    if vote.status != VoteStatus.PUBLISHED or result is None:
        return None
    return {
        "passed": result.passed,
        "verdict": _verdict_of(result),
        "vote_id": vote.pk,
        "vote_title": vote.title,
    }


def candidate_result_label(candidate, figures, failed_participation=False):
    """What the count made of one candidate (or firm), in the reader's language."""
    outcome = candidate.get("outcome")
    if not outcome:  # counted before outcomes were stored
        name = candidate.get("name")
        if failed_participation:
            outcome = "no_participation"
        elif name in (figures.get("elected") or []):
            outcome = "elected"
        elif name in (figures.get("alternates") or []):
            outcome = "alternate"
        else:
            outcome = "passed" if candidate.get("qualified") else "below_half"
    labels = {
        "elected": _("Elected"),
        "alternate": _("Alternate member"),
        "tied": _("Tied: a revote decides"),
        "passed": _("Passed, not elected"),
        "below_half": _("Not elected: did not win more than half"),
        "no_participation": _("Not elected: participation not reached"),
    }
    return labels.get(outcome, "")


def result_context(vote):
    """The published (or counted) result as plain data, for the announcement PDF and pages."""
    matters = []
    for matter in vote.matters.order_by("position").select_related("result"):
        result = getattr(matter, "result", None)
        item = {
            "position": matter.position,
            "title": matter.title,
            "code": matter.code,
            "rule_zh": matter.rule.label_zh,
            "rule_en": matter.rule.label_en,
            "kind": matter.kind,
            "seats": matter.seats,
            "counted": result is not None,
            "passed": None if result is None else result.passed,
            "figures": {} if result is None else result.figures,
            "reasons": [] if result is None else result.reasons,
        }
        failed_participation = _failed_participation(result)
        item["verdict"] = _verdict_of(result)
        item["failed_participation"] = failed_participation
        lang_zh = (get_language() or settings.LANGUAGE_CODE).startswith("zh")
        item["reason_lines"] = [r["zh"] if lang_zh else r["en"] for r in item["reasons"]]
        item["participation_lines"] = [
            {"text": r["zh"] if lang_zh else r["en"], "met": r["met"]}
            for r in item["reasons"]
            if r.get("code") in ("participation_area", "participation_headcount")
        ]
        figures = item["figures"]
        if figures.get("candidates"):
            item["figures"] = {
                **figures,
                "candidates": [
                    {**c, "result": candidate_result_label(c, figures, failed_participation)}
                    for c in figures["candidates"]
                ],
            }
        matters.append(item)
    return {
        "vote": {
            "id": vote.pk,
            "title": vote.title,
            "estate": vote.estate.name,
            "community": vote.community.name,
            "opens_at": vote.opens_at,
            "closes_at": vote.closes_at,
            "counted_at": vote.counted_at,
            "published_at": vote.result_published_at,
            "status": vote.status,
        },
        "matters": matters,
        "confirmed_by": [
            c.teller.display_name for c in vote.confirmations.select_related("teller")
        ],
    }


def building_breakdown(vote):
    """Per building and matter: units and area by choice, by aggregate query (for the xlsx)."""
    rows = []
    for matter in vote.matters.order_by("position"):
        per = (
            ElectorateEntry.objects.filter(vote=vote)
            .annotate(
                choice=_subquery_choice(matter),
            )
            .values("building_name", "choice")
            .annotate(units=Count("pk"), area=Sum("area"))
            .order_by("building_name", "choice")
        )
        rows.append(
            (
                matter,
                sorted(per, key=lambda r: (natural_key(r["building_name"]), r["choice"] or "")),
            )
        )
    return rows


def _subquery_choice(matter):
    return Subquery(
        Ballot.objects.filter(matter=matter, head=OuterRef("head")).values("choice")[:1]
    )


def vote_result_for_topic(topic):
    """The latest published assembly vote of a topic as result_context(), or None."""
    vote = (
        AssemblyVote.objects.filter(topic=topic, status=VoteStatus.PUBLISHED)
        .select_related("estate", "community")
        .order_by("-result_published_at")
        .first()
    )
    return None if vote is None else result_context(vote)
