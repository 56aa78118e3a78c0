"""Votes taken in the room: a show of hands (counted by deliberation.rules, not binding) or, in
an owners' session, real ballots cast into the assembly vote; what the minutes and the room
say about each."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from deliberation import rules
from deliberation.models.vote import BallotChannel
from deliberation.services.votes import cast_ballot, published_verdict
from meetings.models import (
    EntryKind,
    ItemStatus,
    LiveChoice,
    LiveVote,
    LiveVoteKind,
    LiveVoteResponse,
    LiveVoteStatus,
)
from meetings.services.commands import (
    MINUTES,
    VOTE,
    RoomError,
    _auto_minutes,
    _command,
    _commit,
    _item,
    _seat,
)


def open_live_vote(meeting, *, by, item_id, question):
    with _command(meeting, by, "meeting.live_vote") as meeting:
        item = _item(meeting, item_id)
        if item.status != ItemStatus.OPEN:
            raise RoomError(_("A vote can be opened only on the item under discussion."))
        if item.live_votes.filter(status=LiveVoteStatus.OPEN).exists():
            raise RoomError(_("A vote on this item is already open."))
        kind = LiveVoteKind.SHOW_OF_HANDS
        if meeting.is_owners_session and item.vote_matter_id:
            kind = LiveVoteKind.BALLOT
        vote = LiveVote.objects.create(item=item, question=question, kind=kind)
        _auto_minutes(
            meeting, lambda: _("Vote opened: %(q)s") % {"q": question}, EntryKind.VOTE, item, by
        )
        _commit(meeting, by, "open_vote", {"vote": vote.pk, "kind": kind}, (VOTE, MINUTES))
    return vote


def _cast_owner_ballot(meeting, vote, participant, choice, by):
    """In an owners' session the real ballot goes through the votes app's one cast function.

    Its checks (the vote is open, the holder is in the frozen electorate, one ballot per
    head) apply unchanged; a refusal there rolls back the show of hands too.
    """
    if participant.holder_id is None:
        raise RoomError(_("Only a registered owner can cast a ballot."))
    cast_ballot(
        vote.item.vote_matter, participant.holder, choice, by=by, channel=BallotChannel.MEETING
    )


def cast_live_vote(meeting, *, by, vote_id, choice):
    with _command(meeting, by, "meeting.cast_live_vote") as meeting:
        participant = _seat(by, meeting)
        vote = LiveVote.objects.filter(item__meeting=meeting, pk=vote_id).first()
        if vote is None or vote.status != LiveVoteStatus.OPEN:
            raise RoomError(_("This vote is closed."))
        if participant.checked_in_at is None:
            raise RoomError(_("Only participants who have checked in can vote."))
        if choice not in LiveChoice.values:
            raise RoomError(_("Choose agree, oppose or abstain."))
        if vote.responses.filter(participant=participant).exists():
            raise RoomError(_("You have already voted."))
        try:
            with transaction.atomic():
                LiveVoteResponse.objects.create(vote=vote, participant=participant, choice=choice)
        except IntegrityError as exc:
            raise RoomError(_("You have already voted.")) from exc
        if vote.kind == LiveVoteKind.BALLOT:
            _cast_owner_ballot(meeting, vote, participant, choice, by)
        # The count stays hidden until the vote closes: only the number of votes is shown.
        _commit(
            meeting,
            by,
            "cast_vote",
            {"vote": vote.pk},
            (VOTE,),
            notice=(by.pk, _("Your vote is recorded: %(c)s") % {"c": LiveChoice(choice).label}),
            soon=True,
        )
    return vote


def _close_vote(meeting, vote, by):
    """Close a live vote and minute what it means.

    An owners' ballot wrote real ballots into the assembly vote: the room reports how many
    were cast here and that they count with that vote, whose art. 278 result is published
    after its count. Never a majority of the room. A show of hands is counted by the rules
    engine and minuted as not binding.
    """
    vote.status = LiveVoteStatus.CLOSED
    vote.closed_at = timezone.now()
    vote.present_count = meeting.participants.exclude(checked_in_at=None).count()
    if vote.kind == LiveVoteKind.BALLOT:
        vote.passed = None  # decided by the assembly vote's count, not here
        vote.save()
        _auto_minutes(meeting, lambda: ballot_minutes_text(vote), EntryKind.VOTE, vote.item, by)
        return
    counts = dict(vote.responses.values_list("choice").annotate(n=Count("pk")))
    vote.yes_count = counts.get(LiveChoice.YES, 0)
    vote.no_count = counts.get(LiveChoice.NO, 0)
    vote.abstain_count = counts.get(LiveChoice.ABSTAIN, 0)
    hands = rules.show_of_hands(
        vote.yes_count, vote.no_count, vote.abstain_count, vote.present_count
    )
    vote.passed = hands.majority
    vote.save()
    _auto_minutes(meeting, lambda: hands_minutes_text(vote, hands), EntryKind.VOTE, vote.item, by)


def _zh():
    return (get_language() or settings.LANGUAGE_CODE).startswith("zh")


def _in_language(reason):
    return reason.zh if _zh() else reason.en


def hands_minutes_text(vote, hands):
    outcome = (
        _("a majority of those who voted agreed")
        if hands.majority
        else _("no majority of those who voted agreed")
    )
    separator = "；" if _zh() else "; "
    return _("Show of hands on “%(q)s” (not binding): %(outcome)s. %(lines)s") % {
        "q": vote.question,
        "outcome": outcome,
        "lines": separator.join(_in_language(r) for r in hands.reasons),
    }


def ballot_minutes_text(vote):
    matter = vote.item.vote_matter
    return _(
        "Owners' ballot on “%(q)s”: %(n)s owners cast their ballots in the room. They count "
        "with assembly vote no. %(vote)s “%(title)s”; its result under Civil Code art. 278 is "
        "published after the count."
    ) % {
        "q": vote.question,
        "n": vote.responses.count(),
        "vote": matter.vote_id,
        "title": matter.vote.title,
    }


def live_vote_summary(vote):
    """What the room and the minutes say about a closed live vote, in the active language.

    {"binding", "headline", "ok", "lines"}: for an owners' ballot the headline is
    the assembly vote's published art. 278 verdict, or that the ballots count with it and its
    result is to be published; for a show of hands, whether a majority of those who voted
    agreed, marked not binding. `ok` is True, False or None (nothing decided yet).
    """
    if vote.kind == LiveVoteKind.BALLOT:
        matter = vote.item.vote_matter
        verdict = published_verdict(matter) if matter is not None else None
        ballots = vote.responses.count()
        counted = _(
            "%(n)s ballots cast in the room count with assembly vote no. %(vote)s “%(title)s”."
        ) % {
            "n": ballots,
            "vote": matter.vote_id if matter else "—",
            "title": matter.vote.title if matter else "",
        }
        if verdict is None:
            headline = _("Counted with assembly vote no. %(vote)s; result to be published") % {
                "vote": matter.vote_id if matter else "—"
            }
            return {"binding": True, "headline": headline, "ok": None, "lines": [counted]}
        headline = _("Result of assembly vote no. %(vote)s (Civil Code art. 278): %(verdict)s") % {
            "vote": verdict["vote_id"],
            "verdict": verdict["verdict"],
        }
        return {"binding": True, "headline": headline, "ok": verdict["passed"], "lines": [counted]}
    hands = rules.show_of_hands(
        vote.yes_count, vote.no_count, vote.abstain_count, vote.present_count
    )
    headline = (
        _("Show of hands, not binding: a majority of those who voted agreed")
        if hands.majority
        else _("Show of hands, not binding: no majority of those who voted agreed")
    )
    return {
        "binding": False,
        "headline": headline,
        "ok": None,
        "lines": [_in_language(r) for r in hands.reasons],
    }


def close_live_vote(meeting, *, by, vote_id):
    with _command(meeting, by, "meeting.live_vote") as meeting:
        vote = (
            LiveVote.objects.select_related("item")
            .filter(item__meeting=meeting, pk=vote_id)
            .first()
        )
        if vote is None or vote.status != LiveVoteStatus.OPEN:
            raise RoomError(_("This vote is already closed."))
        _close_vote(meeting, vote, by)
        _commit(
            meeting, by, "close_vote", {"vote": vote.pk, "passed": vote.passed}, (VOTE, MINUTES)
        )
    return vote
