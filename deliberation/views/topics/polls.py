"""A topic's polls: opened, answered."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deliberation.access import topic_for
from deliberation.forms.topics import (
    PollForm,
    PollVoteForm,
)
from deliberation.models import (
    Poll,
)
from deliberation.services import topics as services
from deliberation.views.topics.page import _after_action, _detail_topic, _render_detail, _try


@login_required
@require_POST
def poll_create(request, topic_id):
    topic = topic_for(request.user, topic_id, "topic.poll")
    form = PollForm(request.POST)
    if form.is_valid():
        try:
            services.create_poll(topic, by=request.user, **form.cleaned_data)
            messages.success(request, _("The poll is open."))
            return redirect(topic.get_absolute_url() + "#polls")
        except ValidationError as error:
            form.add_error(None, error)
    topic = _detail_topic(request.user, topic_id)
    return _render_detail(
        request, topic, "polls" if request.htmx else None, status=400, poll_form=form
    )


@login_required
@require_POST
def poll_vote(request, topic_id, poll_id):
    topic = topic_for(request.user, topic_id, "topic.poll_vote")
    poll = get_object_or_404(Poll, topic=topic, pk=poll_id)
    form = PollVoteForm(request.POST, poll=poll)
    if not form.is_valid():
        messages.error(request, _("Please choose from the options shown."))
    else:
        choice = form.cleaned_data["choice"]
        answer = partial(services.cast_poll_vote, poll, by=request.user, option_ids=choice)
        _try(request, answer, _("Thank you, your answer is counted."))
    return _after_action(request, topic_id, "polls")
