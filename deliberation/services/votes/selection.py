"""Property-company selection (物业选聘): the plan, its approval and publication, the
companies' applications and shortlist, and the selection vote of each round."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from deliberation.access import roles_in_estate
from deliberation.audit import record_audit
from deliberation.messages import Message
from deliberation.models import (
    Candidate,
    CompanyApplication,
    MatterKind,
    NoticeKind,
    PlanStatus,
    PropertySelectionPlan,
    VoteMatter,
    VoteResult,
    VoteStatus,
)
from deliberation.notices import publish_notice
from deliberation.permissions import may
from deliberation.services.votes.convening import convene_vote
from deliberation.services.votes.roles import VoteError


def _require_plan(by, plan):
    if not may(roles_in_estate(by, plan.community_id, plan.estate_id), "selection.plan"):
        raise PermissionDenied


def create_selection_plan(
    *, estate, title, scope, service_standard, price_min, price_max, method, by
):
    community = estate.community
    if not may(roles_in_estate(by, community, estate), "selection.plan"):
        raise PermissionDenied
    if price_max < price_min:
        raise VoteError(_("The highest price must not be below the lowest."), code="price")
    with transaction.atomic():
        plan = PropertySelectionPlan.objects.create(
            community=community,
            estate=estate,
            title=title,
            scope=scope,
            service_standard=service_standard,
            price_min=price_min,
            price_max=price_max,
            method=method,
            created_by=by,
        )
        record_audit(
            actor=by, verb="selection.plan", target=plan, community=community, data={"title": title}
        )
    return plan


def _move_plan(plan, *, by, expected, to, verb, data=None):
    with transaction.atomic():
        plan = PropertySelectionPlan.objects.select_for_update().get(pk=plan.pk)
        _require_plan(by, plan)
        if plan.status not in expected:
            raise VoteError(
                _("The plan is “%(status)s”; this step is not possible now.")
                % {"status": PlanStatus(plan.status).label},
                code="plan_state",
            )
        plan.status = to
        fields = ["status"]
        now = timezone.now()
        if to == PlanStatus.APPROVED:
            plan.approved_by, plan.approved_at = by, now
            fields += ["approved_by", "approved_at"]
        if to == PlanStatus.PUBLISHED:
            plan.published_at = now
            fields.append("published_at")
        plan.save(update_fields=fields)
        record_audit(actor=by, verb=verb, target=plan, community=plan.community_id, data=data or {})
    return plan


def approve_selection_plan(plan, *, by, basis):
    """Record the plan's approval (the assembly decision or the committee minute it rests on)."""
    basis = (basis or "").strip()
    if not basis:
        raise VoteError(_("Say what the approval rests on (the vote or the minutes)."))
    return _move_plan(
        plan,
        by=by,
        expected=(PlanStatus.DRAFT,),
        to=PlanStatus.APPROVED,
        verb="selection.approve",
        data={"basis": basis},
    )


def publish_selection_plan(plan, *, by):
    plan = _move_plan(
        plan,
        by=by,
        expected=(PlanStatus.APPROVED,),
        to=PlanStatus.PUBLISHED,
        verb="selection.publish",
    )
    publish_notice(
        community=plan.community,
        kind=NoticeKind.OTHER,
        title=Message(gettext_noop("Property company selection plan: %(title)s"), title=plan.title),
        body=[
            plan.scope,
            plan.service_standard,
            Message(
                gettext_noop("Price range: %(low)s–%(high)s yuan per m² per month"),
                low=str(plan.price_min),
                high=str(plan.price_max),
            ),
        ],
        by=by,
        source=plan,
    )
    return plan


def add_company_application(
    plan, *, company_name, licence, price, service_plan, by, attachment="", attachment_type=""
):
    with transaction.atomic():
        plan = PropertySelectionPlan.objects.select_for_update().get(pk=plan.pk)
        _require_plan(by, plan)
        if plan.status != PlanStatus.PUBLISHED:
            raise VoteError(_("Applications are taken only while the plan is published."))
        if not plan.price_min <= price <= plan.price_max:
            raise VoteError(
                _("The price must be within the plan's range, %(low)s–%(high)s.")
                % {"low": plan.price_min, "high": plan.price_max},
                code="price",
            )
        if plan.applications.filter(company_name=company_name).exists():
            raise VoteError(_("This company has already applied."))
        application = CompanyApplication.objects.create(
            plan=plan,
            company_name=company_name,
            licence=licence,
            price=price,
            service_plan=service_plan,
            attachment=attachment,
            attachment_type=attachment_type,
            entered_by=by,
        )
        record_audit(
            actor=by,
            verb="selection.apply",
            target=plan,
            community=plan.community_id,
            data={"application": application.pk, "company": company_name, "price": price},
        )
    return application


def selection_round(plan):
    """Where the plan's assembly vote stands: ("none", None) before any vote, ("voting", vote)
    while a round is prepared, open or counted, ("chosen", name) once a published result hired
    a company, ("no_majority", vote) when the published round chose none, so the next round,
    a run-off or a new shortlist, is due (DOMAIN.md §5.4)."""
    vote = plan.vote
    if vote is None:
        return "none", None
    if vote.status != VoteStatus.PUBLISHED:
        return "voting", vote
    result = VoteResult.objects.filter(matter__vote=vote).first()
    elected = result.figures.get("elected", []) if result is not None else []
    if result is not None and result.passed and elected:
        return "chosen", elected[0]
    return "no_majority", vote


def shortlist_application(application, *, shortlisted, reason, by):
    reason = (reason or "").strip()
    if not reason:
        raise VoteError(_("Give the reason for the shortlist decision."), code="reason")
    with transaction.atomic():
        plan = PropertySelectionPlan.objects.select_for_update().get(pk=application.plan_id)
        _require_plan(by, plan)
        between_rounds = (
            plan.status == PlanStatus.VOTING and selection_round(plan)[0] == "no_majority"
        )
        if plan.status not in (PlanStatus.PUBLISHED, PlanStatus.SHORTLISTED) and not (
            between_rounds
        ):
            raise VoteError(
                _(
                    "The shortlist is drawn after the plan is published, and redrawn only "
                    "after a round in which no company reached the majority."
                )
            )
        application.shortlisted = shortlisted
        application.shortlist_reason = reason
        application.save(update_fields=["shortlisted", "shortlist_reason"])
        record_audit(
            actor=by,
            verb="selection.shortlist",
            target=plan,
            community=plan.community_id,
            data={"application": application.pk, "shortlisted": shortlisted, "reason": reason},
        )
    return application


def start_selection_vote(plan, *, by, opens_at, closes_at):
    """Put the shortlisted companies to an assembly vote (seats=1); also the next round."""
    with transaction.atomic():
        plan = (
            PropertySelectionPlan.objects.select_for_update()
            .select_related("estate")
            .get(pk=plan.pk)
        )
        _require_plan(by, plan)
        previous = plan.vote
        if previous is not None:
            result = VoteResult.objects.filter(matter__vote=previous).first()
            if previous.status != VoteStatus.PUBLISHED or (result and result.passed):
                raise VoteError(
                    _("A new round opens only after a published result with no company chosen.")
                )
        elif plan.status not in (PlanStatus.PUBLISHED, PlanStatus.SHORTLISTED):
            raise VoteError(_("Publish the plan and shortlist companies first."))
        chosen = list(plan.applications.filter(shortlisted=True).order_by("pk"))
        if not chosen:
            raise VoteError(_("Shortlist at least one company first."), code="empty")
        round_no = plan.round + (1 if previous is not None else 0)
        vote = convene_vote(
            estate=plan.estate,
            title=_("%(title)s (round %(n)s)") % {"title": plan.title, "n": round_no},
            opens_at=opens_at,
            closes_at=closes_at,
            by=by,
            previous_round=previous,
        )
        matter = VoteMatter.objects.create(
            vote=vote,
            code="hire_property_manager",
            kind=MatterKind.SELECTION,
            title=_("Hire the property-service company"),
            text=plan.scope,
            seats=1,
            position=1,
        )
        for application in chosen:
            Candidate.objects.create(
                matter=matter,
                name=application.company_name,
                nominated_by=Candidate.Nomination.SELECTION,
                profile=_("%(price)s yuan/m²/month. %(plan)s")
                % {"price": application.price, "plan": application.service_plan},
                vetting_result=Candidate.Vetting.APPROVED,
                vetting_reasons=application.shortlist_reason,
                registered_by=by,
            )
        plan.vote = vote
        plan.round = round_no
        plan.status = PlanStatus.VOTING
        plan.save(update_fields=["vote", "round", "status"])
        record_audit(
            actor=by,
            verb="selection.vote",
            target=plan,
            community=plan.community_id,
            data={"vote": vote.pk, "round": round_no},
        )
    return vote
