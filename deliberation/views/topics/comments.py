"""What members do with a comment: react, report it, hide it (moderators)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from deliberation.access import topic_for
from deliberation.forms.topics import (
    ReactForm,
    ReasonForm,
)
from deliberation.models import (
    Comment,
)
from deliberation.services import topics as services
from deliberation.views.topics.page import _detail_topic, _fail, _render_detail
from deliberation.views.topics.steps import _step_page, _take_step


def _comment_of(topic, comment_id):
    return get_object_or_404(Comment.objects.select_related("author"), topic=topic, pk=comment_id)


@login_required
@require_POST
def comment_react(request, topic_id, comment_id):
    topic = topic_for(request.user, topic_id, "topic.react")
    comment = _comment_of(topic, comment_id)
    form = ReactForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose a reaction from the buttons shown."))
    else:
        try:
            services.react(comment, by=request.user, kind=form.cleaned_data["kind"])
        except ValidationError as error:
            _fail(request, error)
    if not request.htmx:
        return redirect(topic.get_absolute_url() + f"#comment-{comment.pk}")
    return _render_detail(request, _detail_topic(request.user, topic_id), "comments")


@login_required
@require_http_methods(["GET", "POST"])
def comment_report(request, topic_id, comment_id):
    return _comment_with_reason(
        request,
        topic_id,
        comment_id,
        "report",
        permission="topic.report",
        service=services.report_comment,
        done=_("Thank you. A moderator will look at the comment."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def comment_hide(request, topic_id, comment_id):
    return _comment_with_reason(
        request,
        topic_id,
        comment_id,
        "hide",
        permission="topic.moderate",
        service=services.hide_comment,
        done=_("The comment is hidden."),
    )


def _comment_with_reason(request, topic_id, comment_id, action, *, permission, service, done):
    """Report or hide a comment: a page asking for the reason, then `service` with it."""
    topic = topic_for(request.user, topic_id, permission)
    comment = _comment_of(topic, comment_id)
    form = ReasonForm(request.POST or None)

    def call(data):
        service(comment, by=request.user, reason=data["reason"])

    taken = _take_step(request, topic, form, call, done)
    if taken:
        return taken
    return _step_page(
        request,
        topic,
        "deliberation/topic_comment_action.html",
        form,
        {"comment": comment, "action": action},
    )
