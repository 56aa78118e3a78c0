"""A topic's lifecycle steps: submitted, co-signed, followed, accepted or not (triage), decided,
withdrawn."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from deliberation.access import roles_of, topic_for
from deliberation.forms.topics import (
    DecisionForm,
    TriageForm,
    WithdrawForm,
)
from deliberation.models import (
    Phase,
)
from deliberation.permissions import may
from deliberation.services import topics as services
from deliberation.views.topics.page import _after_action, _try, _version


@login_required
@require_POST
def topic_submit(request, topic_id):
    topic = topic_for(request.user, topic_id, "topic.submit")
    if request.user.pk not in (topic.proposer_id, topic.filed_by_id):
        raise PermissionDenied
    version = _version(request)
    submit = partial(services.submit_topic, topic, by=request.user, expected_version=version)
    _try(request, submit, _("Your topic is submitted and open for co-signing."))
    return redirect("topic_detail", topic_id)


@login_required
@require_POST
def topic_cosign(request, topic_id):
    topic = topic_for(request.user, topic_id, "topic.cosign")

    def done(topic):
        if topic.phase == Phase.TRIAGE:
            return _("Thank you. The topic has enough co-signs and goes to the community.")
        return _("Thank you for co-signing.")

    _try(request, partial(services.cosign_topic, topic, by=request.user), done)
    return _after_action(request, topic_id, "cosign")


@login_required
@require_POST
def topic_follow(request, topic_id):
    topic = topic_for(request.user, topic_id, "topic.follow")
    follow = request.POST.get("follow") != "0"
    services.follow_topic(topic, by=request.user, follow=follow)
    return _after_action(request, topic_id, "follow")


def _take_step(request, topic, form, call, done):
    """A step's form posted and valid: call the service with its data (`call(data)`), say
    `done` (a function: of the data) and return to the topic; refused, the form says why.
    None while the step's page is to be shown (again)."""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            call(data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, done(data) if callable(done) else done)
            return redirect(topic)
    return None


def _step_page(request, topic, template, form, extra=None):
    context = {"topic": topic, "community": topic.community, "form": form, **(extra or {})}
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, template, context, status=status)


def _step_topic(request, topic_id, action, not_now):
    """The topic for a step's page, and a redirect to it saying `not_now` when the step's
    form is asked for in a phase where the member may not take it."""
    topic = topic_for(request.user, topic_id, action)
    if request.method == "GET" and not may(
        roles_of(request.user, topic.community_id), action, topic.phase
    ):
        messages.error(request, not_now)
        return topic, redirect(topic)
    return topic, None


@login_required
@require_http_methods(["GET", "POST"])
def topic_triage(request, topic_id):
    topic, gone = _step_topic(
        request, topic_id, "topic.triage", _("This topic is not waiting for acceptance.")
    )
    if gone:
        return gone
    form = TriageForm(request.POST or None, topic=topic, initial={"version": topic.version})

    def triage(data):
        services.triage_topic(
            topic,
            by=request.user,
            outcome=data["outcome"],
            reason=data["reason"],
            merge_into=data.get("merge_into"),
            is_major=data.get("is_major"),
            expected_version=data["version"],
        )

    def done(data):
        if data["outcome"] == services.Outcome.ORDER:
            return _("The order was sent to the unit.")
        return _("The outcome is recorded and published.")

    taken = _take_step(request, topic, form, triage, done)
    if taken:
        return taken
    topic.community_due = services.triage_due(topic)
    return _step_page(request, topic, "deliberation/topic_triage.html", form)


@login_required
@require_http_methods(["GET", "POST"])
def topic_decide(request, topic_id):
    topic, gone = _step_topic(
        request, topic_id, "topic.decide", _("Only a topic under discussion can be decided.")
    )
    if gone:
        return gone
    form = DecisionForm(
        request.POST or None,
        initial={"version": topic.version, "decided_on": timezone.localdate()},
    )

    def decide(data):
        services.record_decision(
            topic,
            by=request.user,
            text=data["text"],
            decided_by=data["decided_by"],
            decided_on=data["decided_on"],
            expected_version=data["version"],
        )

    done = _("The decision is recorded and posted on the notice board.")
    taken = _take_step(request, topic, form, decide, done)
    if taken:
        return taken
    vote = services.vote_result_for(topic) if topic.needs_owner_vote else None
    return _step_page(
        request,
        topic,
        "deliberation/topic_decide.html",
        form,
        {"vote": vote, "vote_missing": topic.needs_owner_vote and vote is None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def topic_withdraw(request, topic_id):
    topic = topic_for(request.user, topic_id, "topic.withdraw")
    if request.user.pk not in (topic.proposer_id, topic.filed_by_id):
        raise PermissionDenied
    form = WithdrawForm(request.POST or None, initial={"version": topic.version})

    def withdraw(data):
        services.withdraw_topic(
            topic, by=request.user, reason=data["reason"], expected_version=data["version"]
        )

    taken = _take_step(request, topic, form, withdraw, _("The topic is withdrawn."))
    if taken:
        return taken
    return _step_page(request, topic, "deliberation/topic_withdraw.html", form)
