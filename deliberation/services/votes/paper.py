"""Paper ballots: two tellers enter each one separately.

Closing time (docs/rules.md): a paper ballot handed in inside the voting window, with the time
it was handed in recorded, may be entered (and its entries corrected) until the count starts;
a ballot handed in at or after the close is never entered.

`enter_paper_ballot` stores one teller's entry and casts the ballot when a second teller's
entry agrees; `clear_paper_mismatch` sets disagreeing entries aside; `paper_worklist` says what
is left before the count. `ballot_sheets` gives the personalised paper ballots to print.
"""

import hmac

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.audit import record_audit
from deliberation.documents.qr import ballot_short_code, normalise_short_code, parse_ballot_qr
from deliberation.models import (
    Ballot,
    BallotChannel,
    BallotChoice,
    Candidate,
    ElectorateEntry,
    ElectorateHead,
    PaperEntry,
    VoteState,
)
from deliberation.services.votes.casting import _already_cast, _clean_choice, cast_ballot
from deliberation.services.votes.roles import (
    ORDINARY_CHOICES,
    VoteError,
    _lock,
    _require,
    _state_error,
    _when,
    head_of,
)


def paper_entry_refusal(vote, now=None):
    """Why no paper ballot can be entered or corrected in this vote now (a VoteError), or None."""
    state = vote.state_at(now)
    if state in (VoteState.OPEN, VoteState.CLOSED):
        return None
    if state in (VoteState.COUNTED, VoteState.PUBLISHED):
        return VoteError(
            _(
                "The count has started: paper ballots can no longer be entered or corrected. "
                "Only ballots handed in before voting closed are entered, before the count."
            ),
            code="counted",
        )
    return _state_error(vote, now)


def _check_collected(vote, collected_at, now):
    if collected_at > now:
        raise VoteError(
            _("The time the ballot was handed in cannot be in the future."), code="collected"
        )
    if collected_at >= vote.closes_at:
        raise VoteError(
            _(
                "This ballot was handed in after voting closed on %(time)s: it cannot be "
                "entered or counted."
            )
            % {"time": _when(vote.closes_at)},
            code="collected_late",
        )
    if collected_at < vote.opens_at:
        raise VoteError(
            _(
                "This ballot was handed in before voting opened on %(time)s: it cannot be "
                "entered or counted."
            )
            % {"time": _when(vote.opens_at)},
            code="collected_early",
        )


def find_paper_ballot(vote, text):
    """The head a teller means by `text`: the QR code printed on the ballot (scanned), its short
    entry code (typed), or a unit label of the frozen register. None when nothing matches."""
    text = (text or "").strip()
    if not text:
        return None
    scanned = parse_ballot_qr(text)
    if scanned is not None:
        vote_id, head = scanned
        if vote_id == vote.pk and ElectorateHead.objects.filter(vote=vote, head=head).exists():
            return head
        return None
    label = ElectorateEntry.objects.filter(vote=vote, unit_label=text).values("head").first()
    if label is not None:
        return label["head"]
    code = normalise_short_code(text)
    if code:
        for head in ElectorateHead.objects.filter(vote=vote).values_list("head", flat=True):
            if hmac.compare_digest(ballot_short_code(vote.pk, head, formatted=False), code):
                return head
    return None


def paper_ballot_status(vote, head):
    """What the tellers must still do for one head's paper ballot, as plain data:

    units, holder (the Holder), holder_name; `pending`, the matters without a counted ballot
    (the ones an entry covers); `entry`, the number this user's next entry will have (1 or 2,
    None when nothing is left); `first_teller`, who made the first entry when a second one is
    due; `disputed`, matters whose two entries disagree and must be set aside first; `counted`,
    ballots already counted for this head (any channel).
    """
    rows = list(
        ElectorateEntry.objects.filter(vote=vote, head=head)
        .select_related("holder")
        .order_by("building_name", "unit_label")
    )
    matters = list(vote.matters.order_by("position"))
    counted = {
        b.matter_id: b for b in Ballot.objects.filter(vote=vote, head=head).select_related("matter")
    }
    active = {}
    for entry in PaperEntry.objects.filter(
        vote=vote, head=head, cleared_at__isnull=True
    ).select_related("teller"):
        active.setdefault(entry.matter_id, []).append(entry)
    pending = [m for m in matters if m.pk not in counted]
    disputed = [m for m in pending if any(e.mismatch for e in active.get(m.pk, []))]
    numbers = {len(active.get(m.pk, [])) + 1 for m in pending if m not in disputed}
    firsts = [active[m.pk][0] for m in pending if len(active.get(m.pk, [])) == 1]
    return {
        "head": head,
        "units": [r.unit_label for r in rows],
        "holder": next((r.holder for r in rows if r.holder_id), None),
        "holder_name": next((r.holder_name for r in rows if r.holder_name), ""),
        "pending": pending,
        "disputed": disputed,
        "entry": max(numbers) if numbers and not disputed else None,
        "first_teller": firsts[0].teller if firsts else None,
        "counted": [counted[m.pk] for m in matters if m.pk in counted],
    }


def enter_paper_ballot(vote, holder, choices, *, by, collected_at=None, entry=None, now=None):
    """Record one teller's reading of a paper ballot: every matter not yet counted for its head.

    Which entry it is (the first or the second) follows from what is stored: the first reading
    of a matter is entry 1, the next one, by another teller, entry 2. After a disagreement has
    been set aside, only the disputed matters are read again (twice); the matters on which the
    two readings agreed stay counted. `collected_at` is when the ballot was handed in (now when
    omitted); `entry`, if given, must be the number the system expects.

    Returns "waiting" (a second entry is missing), "counted" (both agree; the ballots are
    cast) or "mismatch" (flagged for the tellers; nothing is counted until they clear it).
    """
    now = now or timezone.now()
    collected_at = collected_at or now
    with transaction.atomic():
        vote = _lock(vote)
        refusal = paper_entry_refusal(vote, now)
        if refusal is not None:
            raise refusal
        state = vote.state_at(now)
        _require(by, vote, "vote.enter_paper", state)
        _check_collected(vote, collected_at, now)
        head = head_of(vote, holder, by)
        if head is None:
            raise VoteError(_("This holder is not in the electorate of this vote."))
        for matter in choices:
            if matter.vote_id != vote.pk:
                raise VoteError(_("This matter is not in the notice of this vote."))
        status = paper_ballot_status(vote, head)
        counted = {b.matter_id: b for b in status["counted"]}
        for matter in choices:
            if matter.pk in counted:
                raise _already_cast(counted[matter.pk])
        if not status["pending"]:
            raise _already_cast(status["counted"][0])
        if status["disputed"]:
            raise VoteError(
                _(
                    "The two entries of “%(title)s” disagree: set them aside, then enter the "
                    "ballot again."
                )
                % {"title": status["disputed"][0].title},
                code="mismatch_pending",
            )
        missing = [m for m in status["pending"] if m not in choices]
        if missing:
            raise VoteError(
                _("Enter every matter still open on this ballot: %(titles)s.")
                % {"titles": "、".join(m.title for m in missing)},
                code="incomplete",
            )
        outcomes = set()
        numbers = []
        for matter in status["pending"]:
            raw = choices[matter]
            if matter.is_election and raw != BallotChoice.SPOILED:
                ballot_choice, ids = _clean_choice(matter, BallotChoice.LIST, raw, "paper")
            else:
                ballot_choice, ids = _clean_choice(matter, raw, None, "paper")
            other = PaperEntry.objects.filter(
                matter=matter, head=head, cleared_at__isnull=True
            ).first()
            number = 1 if other is None else 2
            if entry is not None and entry != number:
                raise VoteError(
                    _("This ballot needs its entry number %(n)s next.") % {"n": number},
                    code="entry",
                )
            if other is not None and other.teller_id == by.pk:
                raise VoteError(
                    _("The second entry must be made by a different teller."), code="same_teller"
                )
            numbers.append(number)
            mine = PaperEntry.objects.create(
                vote=vote,
                matter=matter,
                head=head,
                holder=holder,
                entry=number,
                teller=by,
                choice=ballot_choice,
                candidate_ids=sorted(ids),
                collected_at=collected_at,
            )
            if other is None:
                outcomes.add("waiting")
                continue
            if (other.choice, sorted(other.candidate_ids)) != (mine.choice, mine.candidate_ids):
                PaperEntry.objects.filter(pk__in=[other.pk, mine.pk]).update(mismatch=True)
                record_audit(
                    actor=by,
                    verb="vote.paper_mismatch",
                    target=vote,
                    community=vote.community,
                    public=False,
                    data={"matter": matter.pk, "head": head},
                )
                outcomes.add("mismatch")
                continue
            cast_ballot(
                matter,
                holder,
                mine.choice,
                candidates=mine.candidate_ids,
                by=by,
                channel=BallotChannel.PAPER,
                now=now,
            )
            outcomes.add("counted")
        record_audit(
            actor=by,
            verb="vote.paper_entry",
            target=vote,
            community=vote.community,
            public=False,
            data={
                "head": head,
                "entry": max(numbers),
                "matters": [m.pk for m in status["pending"]],
                "collected_at": collected_at.isoformat(),
            },
        )
    for outcome in ("mismatch", "waiting", "counted"):
        if outcome in outcomes:
            return outcome
    return "waiting"


def clear_paper_mismatch(vote, matter, head, *, by, reason, now=None):
    """Set aside both disagreeing entries (with a reason) so that matter of the ballot is
    entered again, twice; the ballot's other matters stay as counted."""
    reason = (reason or "").strip()
    if not reason:
        raise VoteError(_("Give the reason for setting the entries aside."), code="reason")
    now = now or timezone.now()
    with transaction.atomic():
        vote = _lock(vote)
        refusal = paper_entry_refusal(vote, now)
        if refusal is not None:
            raise refusal
        _require(by, vote, "vote.enter_paper", vote.state_at(now))
        cleared = PaperEntry.objects.filter(
            matter=matter, head=head, mismatch=True, cleared_at__isnull=True
        ).update(cleared_at=now, clear_reason=reason)
        if not cleared:
            raise VoteError(_("There is no disagreement to clear for this ballot."))
        record_audit(
            actor=by,
            verb="vote.paper_clear",
            target=vote,
            community=vote.community,
            data={"matter": matter.pk, "head": head, "reason": reason},
        )
    return cleared


def paper_mismatches(vote):
    return (
        PaperEntry.objects.filter(vote=vote, mismatch=True, cleared_at__isnull=True)
        .select_related("matter", "holder", "teller")
        .order_by("head", "matter__position", "entry")
    )


PAPER_SECOND = "second"  # one entry stored, a second teller must enter the ballot


PAPER_DISAGREE = "disagree"  # the two entries of a matter disagree: set them aside


PAPER_REENTER = "reenter"  # set aside, not yet entered again


def paper_worklist(vote):
    """Paper ballots the tellers have not finished, one dict per head, in register order:
    head, units, holder_name, status (PAPER_DISAGREE before PAPER_REENTER before PAPER_SECOND),
    matters (titles concerned) and first_teller (display name, for a second entry due)."""
    papers = PaperEntry.objects.filter(vote=vote)
    if not papers.exists():
        return []  # the count of a vote without paper ballots pays one small query
    counted = set(
        Ballot.objects.filter(vote=vote, head__in=papers.values("head")).values_list(
            "matter_id", "head"
        )
    )
    by_key = {}
    for entry in papers.values(
        "matter_id",
        "matter__title",
        "matter__position",
        "head",
        "mismatch",
        "cleared_at",
        "teller__real_name",
    ):
        if (entry["matter_id"], entry["head"]) not in counted:
            by_key.setdefault((entry["head"], entry["matter_id"]), []).append(entry)
    rank = {PAPER_DISAGREE: 0, PAPER_REENTER: 1, PAPER_SECOND: 2}
    heads = {}
    for (head, _matter), entries in by_key.items():
        active = [e for e in entries if e["cleared_at"] is None]
        if any(e["mismatch"] for e in active):
            status = PAPER_DISAGREE
        elif not active:
            status = PAPER_REENTER
        else:
            status = PAPER_SECOND
        row = heads.setdefault(
            head, {"head": head, "status": status, "matters": [], "first_teller": ""}
        )
        if rank[status] < rank[row["status"]]:
            row["status"] = status
        row["matters"].append((entries[0]["matter__position"], entries[0]["matter__title"]))
        if status == PAPER_SECOND:
            row["first_teller"] = active[0]["teller__real_name"]
    if not heads:
        return []
    for row in (
        ElectorateEntry.objects.filter(vote=vote, head__in=list(heads))
        .order_by("building_name", "unit_label")
        .values("head", "unit_label", "holder_name")
    ):
        item = heads[row["head"]]
        item.setdefault("units", []).append(row["unit_label"])
        item["holder_name"] = item.get("holder_name") or row["holder_name"]
    rows = sorted(heads.values(), key=lambda r: (r.get("units") or [""])[0])
    for row in rows:
        row["matters"] = [title for _pos, title in sorted(row["matters"])]
    return rows


def _paper_pending_error(worklist):
    shown = worklist[:20]
    names = {
        PAPER_SECOND: _("awaiting a second entry"),
        PAPER_DISAGREE: _("entries disagree"),
        PAPER_REENTER: _("set aside, to be entered again"),
    }
    flats = "；".join(
        f"{'、'.join(row.get('units', [row['head']]))}（{names[row['status']]}）" for row in shown
    )
    if len(worklist) > len(shown):
        flats += "；" + _("and %(n)s more") % {"n": len(worklist) - len(shown)}
    settled = all(row["status"] == PAPER_SECOND for row in worklist)
    return VoteError(
        _(
            "The count cannot start while %(n)s paper ballots are unfinished: %(flats)s. "
            "Finish them on the paper ballot page first."
        )
        % {"n": len(worklist), "flats": flats},
        code="single_entry" if settled else "mismatch",
    )


def ballot_sheets(vote):
    """One personalised paper ballot per head of the frozen electorate, as plain data."""
    matters = []
    for matter in vote.matters.order_by("position"):
        entry = {
            "id": matter.pk,
            "position": matter.position,
            "title": matter.title,
            "text": matter.text,
            "rule_zh": matter.rule.label_zh,
            "kind": matter.kind,
            "seats": matter.seats,
            "options": [],
        }
        if matter.is_election:
            entry["options"] = list(
                matter.candidates.filter(vetting_result=Candidate.Vetting.APPROVED)
                .order_by("pk")
                .values_list("name", flat=True)
            )
        else:
            entry["options"] = [str(c.label) for c in ORDINARY_CHOICES]
        matters.append(entry)
    sheets = {}
    for row in (
        ElectorateEntry.objects.filter(vote=vote)
        .order_by("sort_key", "pk")  # sheets in flat order, 101 before 1001
        .values("head", "holder_name", "unit_label", "area")
    ):
        sheet = sheets.setdefault(
            row["head"],
            {"head": row["head"], "holder_name": row["holder_name"], "units": [], "area": 0},
        )
        sheet["units"].append(row["unit_label"])
        sheet["area"] += row["area"]
        sheet["holder_name"] = sheet["holder_name"] or row["holder_name"]
    return [
        {
            **sheet,
            "vote_title": vote.title,
            "vote_id": vote.pk,
            "matters": matters,
            "closes_at": vote.closes_at,
        }
        for sheet in sheets.values()
    ]
