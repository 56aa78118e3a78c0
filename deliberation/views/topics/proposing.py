"""Proposing a topic (for oneself, or filed for a resident) and editing the draft."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from deliberation.access import community_for, roles_of, topic_for
from deliberation.forms.topics import (
    FileForResidentForm,
    TopicForm,
)
from deliberation.models import (
    Phase,
)
from deliberation.permissions import may
from deliberation.services import topics as services
from deliberation.views.topics.page import _version
from deliberation.views.topics.steps import _take_step


@login_required
@require_http_methods(["GET", "POST"])
def topic_new(request, community_id):
    community = community_for(request.user, community_id, "topic.propose")
    on_behalf = request.GET.get("for") == "resident" or "proposer" in request.POST
    if on_behalf and not may(roles_of(request.user, community), "topic.file_for_resident"):
        raise PermissionDenied
    form_class = FileForResidentForm if on_behalf else TopicForm
    form = form_class(request.POST or None, request.FILES or None, community=community)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        photos = data.pop("photos", [])
        try:
            topic = services.propose_topic(community, by=request.user, photos=photos, **data)
            if "submit" in request.POST and topic.phase == Phase.DRAFT:
                topic = services.submit_topic(topic, by=request.user)
                messages.success(request, _("Your topic is submitted and open for co-signing."))
            else:
                messages.success(request, _("Draft saved. Submit it when it is ready."))
            return redirect(topic)
        except ValidationError as error:
            form.add_error(None, error)
    return TemplateResponse(
        request,
        "deliberation/topic_form.html",
        {"community": community, "form": form, "on_behalf": on_behalf, "topic": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def topic_edit(request, topic_id):
    topic = topic_for(request.user, topic_id, "topic.edit")
    if request.user.pk not in (topic.proposer_id, topic.filed_by_id):
        raise PermissionDenied
    if topic.phase != Phase.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return redirect(topic)
    initial = {
        f: getattr(topic, f)
        for f in ("title", "description", "category", "scope", "estate", "building", "grid")
    }
    initial["location"] = topic.location
    form = TopicForm(
        request.POST or None, request.FILES or None, community=topic.community, initial=initial
    )
    version = _version(request)

    def save(data):  # the photos too: the form always has them
        services.update_draft(topic, by=request.user, expected_version=version, **data)

    taken = _take_step(request, topic, form, save, _("Draft saved."))
    if taken:
        return taken
    return TemplateResponse(
        request,
        "deliberation/topic_form.html",
        {"community": topic.community, "form": form, "topic": topic, "on_behalf": False},
    )
