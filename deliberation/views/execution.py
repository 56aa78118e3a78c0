"""Pages for 办 and 评: task lists and details, adding tasks, co-building units, rating, visits.

Each view parses, authorizes (outsiders 404, members without the role 403), calls one
service and renders; a service's ValidationError becomes a message on the form and nothing
changes. POSTs on a task page name their `action`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from accounts.models import User
from deliberation.access import (
    community_for,
    community_ids_of,
    may_ever,
    raise_not_found,
    roles_of,
    topic_for,
)
from deliberation.forms.execution import (
    AnswerForm,
    CompleteForm,
    DispatchForm,
    OfferingForm,
    OrderForm,
    PartnerForm,
    ProgressForm,
    RatingForm,
    ReopenForm,
    SupervisionForm,
    TaskForm,
    VisitForm,
)
from deliberation.models import (
    DispatchState,
    PartnerOffering,
    PartnerUnit,
    Phase,
    ProgressPhoto,
    ProgressUpdate,
    Role,
    Task,
    TaskState,
    TaskStatus,
    VisitOutcome,
)
from deliberation.permissions import STAFF, may
from deliberation.services import execution as svc
from deliberation.uploads import serve_private
from deliberation.views.form_errors import apply_call


def task_for(user, task_id, action="task.view"):
    """The task if the user belongs to its community (else 404) and holds a role for `action`
    in some state (else 403); the state itself is the service's question."""
    qs = Task.objects.select_related(
        "topic__community", "topic__grid__worker", "partner_unit", "assignee", "created_by"
    )
    task = get_object_or_404(qs, pk=task_id)
    if task.topic.community_id not in community_ids_of(user):
        raise_not_found()
    roles = roles_of(user, task.topic.community_id)
    if not may_ever(roles, action):
        raise PermissionDenied
    return task


@login_required
@require_GET
@vary_on_headers("HX-Request")
def task_list(request, community_id):
    community = community_for(request.user, community_id, "task.view")
    today = timezone.localdate()
    show = request.GET.get("show", "mine")
    tasks = (
        Task.objects.filter(topic__community=community)
        .with_status(today)
        .select_related("topic", "partner_unit", "assignee")
        .order_by("-state", "due_date", "pk")  # open before done, soonest first
    )
    if show == "mine":
        mine = Q(assignee=request.user) | Q(partner_unit__contacts=request.user)
        mine |= Q(dispatches__unit__contacts=request.user, dispatches__state=DispatchState.PENDING)
        roles = roles_of(request.user, community)
        if Role.GRID_WORKER in roles:
            mine |= Q(assignee=None, responsible="grid_worker")
        if Role.COMMITTEE in roles:
            mine |= Q(assignee=None, responsible="owners_committee")
        if roles & STAFF:
            mine |= Q(assignee=None, responsible__in=["community_worker", "property_manager"])
        tasks = tasks.filter(mine).distinct()
    elif show in (TaskStatus.OVERDUE, TaskStatus.DUE_SOON):
        tasks = tasks.filter(status=show)
    elif show != "all":
        show = "all"
    counts = (
        Task.objects.filter(topic__community=community)
        .with_status(today)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    context = {
        "community": community,
        "tasks": tasks[:200],
        "show": show,
        "counts": {row["status"]: row["n"] for row in counts},
        "today": today,
    }
    name = "deliberation/task_list.html" + ("#task-rows" if request.htmx else "")
    return TemplateResponse(request, name, context)


ACTIONS = {
    "progress": "task.progress",
    "complete": "task.progress",
    "dispatch": "task.dispatch",
    "answer": "task.claim",
    "supervise": "task.supervise",
}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_headers("HX-Request")
def task_detail(request, task_id):
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST" and action not in ACTIONS:
        task_for(request.user, task_id)  # outsiders still get 404
        return TemplateResponse(request, "deliberation/task_bad_request.html", {}, status=400)
    task = task_for(request.user, task_id, ACTIONS.get(action, "task.view"))
    forms = _task_forms(request, task, action)
    if action:
        form = forms[action]
        if form.is_valid() and apply_call(form, lambda: _run(action, task, form, request.user)):
            messages.success(request, _("Saved."))
            return redirect(task)
    return TemplateResponse(
        request, "deliberation/task_detail.html", _task_context(request, task, forms)
    )


def _run(action, task, form, user):
    data = form.cleaned_data
    if action == "progress":
        svc.report_progress(
            task, by=user, text=data["text"], percent=data["percent"], photos=data["photos"]
        )
    elif action == "complete":
        svc.complete_task(task, by=user, text=data["text"], photos=data["photos"])
    elif action == "dispatch":
        svc.dispatch_task(task, data["unit"], by=user, note=data["note"])
    elif action == "answer":
        svc.answer_dispatch(task, by=user, accept=data["answer"] == "accept", reason=data["reason"])
    elif action == "supervise":
        svc.add_supervision_note(task, by=user, text=data["text"])


def _task_forms(request, task, action):
    def bound(name):
        if action != name:
            return None
        return request.POST, request.FILES

    units = PartnerUnit.objects.filter(community=task.topic.community, is_active=True)
    return {
        "progress": ProgressForm(*(bound("progress") or ()), prefix="progress"),
        "complete": CompleteForm(*(bound("complete") or ()), prefix="complete"),
        "dispatch": DispatchForm(*(bound("dispatch") or ()), units=units, prefix="dispatch"),
        "answer": AnswerForm(*(bound("answer") or ()), prefix="answer"),
        "supervise": SupervisionForm(*(bound("supervise") or ()), prefix="supervise"),
    }


def _task_context(request, task, forms):
    user = request.user
    topic = task.topic
    roles = roles_of(user, topic.community_id)
    today = timezone.localdate()
    task = (
        Task.objects.with_status(today)
        .select_related("topic__community", "topic__grid", "partner_unit", "assignee")
        .get(pk=task.pk)
    )
    updates = (
        ProgressUpdate.objects.filter(task=task)
        .select_related("author")
        .prefetch_related(Prefetch("photos", queryset=ProgressPhoto.objects.order_by("pk")))
    )
    dispatches = task.dispatches.select_related("unit", "sent_by", "answered_by")
    pending = [d for d in dispatches if d.state == DispatchState.PENDING]
    is_open = task.state == TaskState.OPEN
    executing = topic.phase == Phase.EXECUTING
    can_work = is_open and executing and may(roles, "task.progress", topic.phase)
    can_work = can_work and svc.may_work_on(user, task)
    awaiting_unit = task.responsible == "partner_unit" and not task.partner_unit_id
    return {
        "task": task,
        "topic": topic,
        "community": topic.community,
        "updates": updates,
        "dispatches": dispatches,
        "notes": task.supervision_notes.select_related("author"),
        "forms": forms,
        "can_work": can_work and not awaiting_unit,
        "can_dispatch": is_open
        and may(roles, "task.dispatch")
        and not any(d.state in (DispatchState.PENDING, DispatchState.ACCEPTED) for d in dispatches),
        "can_answer": any(d.unit.contacts.filter(pk=user.pk).exists() for d in pending)
        and may(roles, "task.claim"),
        "can_supervise": may(roles, "task.supervise"),
    }


@login_required
@require_http_methods(["GET", "HEAD"])
def task_photo(request, task_id, photo_id):
    task = task_for(request.user, task_id)
    photo = get_object_or_404(ProgressPhoto, pk=photo_id, update__task=task)
    return serve_private(photo.path, photo.content_type)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def task_new(request, topic_id):
    topic = topic_for(request.user, topic_id, "task.add")
    roles = roles_of(request.user, topic.community_id)
    workers = (
        User.objects.filter(
            memberships__community=topic.community,
            memberships__role__in=[Role.COMMUNITY_WORKER, Role.GRID_WORKER, Role.PARTY_SECRETARY],
        )
        .distinct()
        .order_by("real_name", "pk")
    )
    form = TaskForm(
        request.POST or None,
        workers=workers,
        default_due=svc.default_due_date(topic),
        may_set_due=may(roles, "task.set_due"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        holder = {}

        def call():
            holder["task"] = svc.add_task(
                topic,
                by=request.user,
                title=data["title"],
                description=data["description"],
                responsible=data["responsible"],
                route=data["route"],
                assignee=data["assignee"],
                due_date=data.get("due_date"),
                due_reason=data.get("due_reason", ""),
            )

        if apply_call(form, call):
            messages.success(request, _("The task was added."))
            return redirect(holder["task"])
    open_phase = may(roles, "task.add", topic.phase)
    return TemplateResponse(
        request,
        "deliberation/task_form.html",
        {"topic": topic, "form": form, "open_phase": open_phase},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def topic_tasks(request, topic_id):
    """A topic's execution and evaluation on a page of its own; POST concludes the evaluation."""
    topic = topic_for(request.user, topic_id, "task.view")
    if request.method == "POST":
        topic = topic_for(request.user, topic_id, "topic.conclude")
        if svc.reopen_grounds(topic):
            # Sent back for rework: the worker chooses what is redone.
            return redirect("topic_reopen", topic.pk)
        try:
            phase = svc.conclude_evaluation(topic, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if phase == Phase.CLOSED:
                messages.success(request, _("The topic is closed and its result posted."))
            else:
                messages.success(
                    request, _("Most ratings were dissatisfied: the topic is reopened.")
                )
        return redirect("topic_tasks", topic.pk)
    context = svc.execution_context(topic, request.user)
    return TemplateResponse(request, "deliberation/task_topic.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def topic_rate(request, topic_id):
    topic = topic_for(request.user, topic_id, "topic.rate")
    context = svc.execution_context(topic, request.user)
    form = RatingForm(request.POST or None, tasks=context["tasks"])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        call = lambda: svc.rate_topic(  # noqa: E731
            topic,
            by=request.user,
            level=data["level"],
            comment=data["comment"],
            tasks=data.get("tasks", ()),
        )
        if apply_call(form, call):
            messages.success(request, _("Thank you: your rating was recorded."))
            return redirect("topic_tasks", topic.pk)
    context["form"] = form
    return TemplateResponse(request, "deliberation/rating_form.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def visit_new(request, topic_id):
    topic = topic_for(request.user, topic_id, "topic.visit")
    form = VisitForm(request.POST or None, initial={"visited_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        call = lambda: svc.record_visit(topic, by=request.user, **data)  # noqa: E731
        if apply_call(form, call):
            if data["outcome"] == VisitOutcome.FAILED and may(
                roles_of(request.user, topic.community_id), "topic.reopen", topic.phase
            ):
                messages.success(
                    request, _("The visit was recorded. It failed: choose the work to redo.")
                )
                return redirect("topic_reopen", topic.pk)
            messages.success(request, _("The visit was recorded."))
            return redirect("topic_tasks", topic.pk)
    return TemplateResponse(
        request, "deliberation/rating_visit_form.html", {"topic": topic, "form": form}
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def topic_reopen(request, topic_id):
    """Send a rated result back for rework: every task of the round listed, the ones rated
    as not right ticked."""
    topic = topic_for(request.user, topic_id, "topic.reopen")
    tasks, preselected = svc.reopen_choices(topic)
    form = ReopenForm(request.POST or None, tasks=tasks, initial={"tasks": preselected})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        call = lambda: svc.reopen_topic(  # noqa: E731
            topic, by=request.user, tasks=data["tasks"], note=data["note"]
        )
        if apply_call(form, call):
            messages.success(
                request, _("The topic is reopened: the work chosen is redone under supervision.")
            )
            return redirect("topic_tasks", topic.pk)
    grounds = svc.reopen_grounds(topic)
    return TemplateResponse(
        request,
        "deliberation/topic_reopen.html",
        {
            "topic": topic,
            "form": form,
            "grounds": [svc.REOPEN_GROUNDS[g] for g in grounds],
            "tasks": tasks,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def partner_list(request, community_id):
    community = community_for(request.user, community_id, "partner.view")
    roles = roles_of(request.user, community)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "register" and not may(roles, "partner.register"):
        raise PermissionDenied
    if action == "offer" and not may(roles, "partner.offer"):
        raise PermissionDenied
    units_qs = PartnerUnit.objects.filter(community=community)
    my_units = units_qs if roles & STAFF else units_qs.filter(contacts=request.user)
    contacts = User.objects.filter(
        memberships__community=community, memberships__role=Role.PARTNER_CONTACT
    ).order_by("real_name", "pk")
    partner_form = PartnerForm(
        request.POST if action == "register" else None, contacts=contacts, prefix="unit"
    )
    offer_form = OfferingForm(
        request.POST if action == "offer" else None, units=my_units, prefix="offer"
    )
    if action == "register" and partner_form.is_valid():
        data = partner_form.cleaned_data
        if apply_call(
            partner_form, lambda: svc.register_partner(community, by=request.user, **data)
        ):
            messages.success(request, _("The co-building unit was registered."))
            return redirect("partner_list", community.pk)
    elif action == "offer" and offer_form.is_valid():
        data = offer_form.cleaned_data
        unit = data.pop("unit")
        if apply_call(offer_form, lambda: svc.add_offering(unit, by=request.user, **data)):
            messages.success(request, _("Your offer was published."))
            return redirect("partner_list", community.pk)
    elif action not in ("", "register", "offer"):
        return TemplateResponse(request, "deliberation/task_bad_request.html", {}, status=400)
    units = (
        units_qs.filter(is_active=True)
        .prefetch_related(
            Prefetch("offerings", queryset=PartnerOffering.objects.filter(is_active=True)),
            "contacts",
        )
        .annotate(
            accepted=Count("tasks", distinct=True),
            done=Count("tasks", filter=Q(tasks__state=TaskState.DONE), distinct=True),
        )
    )
    return TemplateResponse(
        request,
        "deliberation/partner_list.html",
        {
            "community": community,
            "units": units,
            "partner_form": partner_form if may(roles, "partner.register") else None,
            "offer_form": offer_form if may(roles, "partner.offer") and my_units.exists() else None,
            "can_order": may(roles, "service.order"),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def order_service(request, offering_id):
    """点单: a resident orders one of a co-building unit's services."""
    offering = get_object_or_404(
        PartnerOffering.objects.select_related("unit__community"),
        pk=offering_id,
        is_active=True,
        unit__is_active=True,
    )
    community = community_for(request.user, offering.unit.community_id, "service.order")
    form = OrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = []
        if apply_call(
            form,
            lambda: done.append(svc.order_service(offering, by=request.user, **form.cleaned_data)),
        ):
            messages.success(
                request,
                _("Your order was sent. The community will pass it to %(unit)s.")
                % {"unit": offering.unit.name},
            )
            return redirect(done[0])
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(
        request,
        "deliberation/order_form.html",
        {"community": community, "offering": offering, "form": form},
        status=status,
    )
