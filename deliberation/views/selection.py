"""Property-company selection (物业选聘): plan, approval, publication, applications, shortlist,
then an owners' assembly vote with one seat."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from deliberation.access import (
    community_for,
    community_ids_of,
    estates_where,
    raise_not_found,
    roles_in_estate,
)
from deliberation.forms.votes import (
    ApplicationForm,
    ApproveForm,
    PlanForm,
    ShortlistForm,
    WindowForm,
)
from deliberation.models import CompanyApplication, PropertySelectionPlan
from deliberation.permissions import may
from deliberation.services import votes as svc
from deliberation.services.votes import VoteError
from deliberation.uploads import store_private


def plan_for(user, plan_id, action=None):
    plan = get_object_or_404(
        PropertySelectionPlan.objects.select_related("community", "estate", "vote"), pk=plan_id
    )
    if plan.community_id not in community_ids_of(user):
        raise_not_found()
    if action and not may(roles_in_estate(user, plan.community_id, plan.estate_id), action):
        raise PermissionDenied
    return plan


@login_required
@require_http_methods(["GET", "POST"])
def plan_list(request, community_id):
    community = community_for(request.user, community_id, "selection.view")
    estates = estates_where(request.user, community, "selection.plan")
    can_plan = bool(estates)
    form = (
        PlanForm(request.POST or None, community=community, estates=estates) if can_plan else None
    )
    status = 200
    if request.method == "POST":
        if not can_plan:
            raise PermissionDenied
        if form.is_valid():
            try:
                plan = svc.create_selection_plan(by=request.user, **form.cleaned_data)
            except VoteError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Selection plan drafted."))
                return redirect("selection_detail", plan.pk)
        status = 400
    plans = PropertySelectionPlan.objects.filter(community=community).select_related("estate")
    plans = plans.exclude(~Q(estate__in=estates), status="draft")  # drafts: their planners
    return TemplateResponse(
        request,
        "deliberation/selection_list.html",
        {"community": community, "plans": plans, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def plan_detail(request, plan_id):
    plan = plan_for(request.user, plan_id, "selection.view")
    can_plan = may(
        roles_in_estate(request.user, plan.community_id, plan.estate_id), "selection.plan"
    )
    if plan.status == "draft" and not can_plan:
        raise Http404
    return _detail(request, plan, can_plan)


def _detail(request, plan, can_plan, status=200, **forms):
    applications = plan.applications.order_by("pk")
    if not can_plan:
        applications = applications.filter(shortlisted__isnull=False)
    applications = list(applications)
    for application in applications:
        # One shortlist form per company, with ids of its own (labels find their own field).
        application.shortlist_form = ShortlistForm(auto_id=f"id_a{application.pk}_%s")
    stage, about = svc.selection_round(plan)
    context = {
        "plan": plan,
        "stage": stage,
        "about": about,
        "applications": applications,
        "can_plan": can_plan,
        "approve_form": forms.get("approve_form") or ApproveForm(),
        "application_form": forms.get("application_form") or ApplicationForm(),
        "window_form": forms.get("window_form") or WindowForm(),
    }
    return TemplateResponse(request, "deliberation/selection_detail.html", context, status=status)


@login_required
@require_POST
def plan_step(request, plan_id, step):
    plan = plan_for(request.user, plan_id, "selection.plan")
    forms = {}
    try:
        if step == "approve":
            form = forms["approve_form"] = ApproveForm(request.POST)
            if form.is_valid():
                svc.approve_selection_plan(plan, by=request.user, **form.cleaned_data)
                messages.success(request, _("Approval recorded."))
                return redirect(plan)
        elif step == "publish":
            svc.publish_selection_plan(plan, by=request.user)
            messages.success(request, _("The plan is published on the notice board."))
            return redirect(plan)
        elif step == "apply":
            form = forms["application_form"] = ApplicationForm(request.POST, request.FILES)
            if form.is_valid():
                data = dict(form.cleaned_data)
                attachment = data.pop("attachment")
                path, content_type = "", ""
                if attachment:
                    content, content_type = attachment
                    suffix = ".pdf" if content_type == "application/pdf" else ".jpg"
                    path = store_private(content, folder="votes/applications", suffix=suffix)
                svc.add_company_application(
                    plan, by=request.user, attachment=path, attachment_type=content_type, **data
                )
                messages.success(request, _("Application recorded."))
                return redirect(plan)
        elif step.startswith("shortlist-"):
            application = get_object_or_404(
                CompanyApplication, pk=step.removeprefix("shortlist-") or 0, plan=plan
            )
            form = ShortlistForm(request.POST)
            if not form.is_valid():
                raise VoteError(_("Choose shortlist or exclude, and give the reason."))
            svc.shortlist_application(application, by=request.user, **form.cleaned_data)
            messages.success(request, _("Shortlist decision recorded."))
            return redirect(plan)
        elif step == "vote":
            form = forms["window_form"] = WindowForm(request.POST)
            if form.is_valid():
                vote = svc.start_selection_vote(plan, by=request.user, **form.cleaned_data)
                messages.success(request, _("The assembly vote is drafted; publish its notice."))
                return redirect("vote_manage", vote.pk)
        else:
            raise Http404
    except VoteError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(plan)
    except ValueError:
        raise Http404 from None
    return _detail(request, plan, True, status=400, **forms)
