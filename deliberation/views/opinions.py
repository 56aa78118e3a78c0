"""The opinion map's pages: answer statements one at a time, write one, moderate, the map."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from deliberation.access import roles_of, topic_for
from deliberation.forms.opinions import HideStatementForm, StatementForm
from deliberation.models import Moderation, Statement, StatementVote
from deliberation.permissions import may
from deliberation.services import opinions as services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ANSWERS = {
    "agree": StatementVote.AGREE,
    "disagree": StatementVote.DISAGREE,
    "pass": StatementVote.PASS,
}
ANSWER_WORDS = {
    StatementVote.AGREE: "agree",
    StatementVote.DISAGREE: "disagree",
    StatementVote.PASS: "pass",
}


def _statement(topic, statement_id):
    statement = Statement.objects.filter(topic=topic, pk=statement_id).first()
    if statement is None:
        raise Http404
    return statement


def _fail(request, error):
    for text in getattr(error, "messages", [str(error)]):
        messages.error(request, text)


def _page(request, topic, form=None, status=200):
    user = request.user
    roles = roles_of(user, topic.community_id)
    can = {
        "write": may(roles, "opinion.write", topic.phase),
        "vote": may(roles, "opinion.vote", topic.phase),
        "moderate": may(roles, "opinion.moderate", topic.phase),
    }
    answered, shown = services.progress(topic, user)
    mine = list(
        StatementVote.objects.filter(
            topic=topic, participant=user, statement__state=Moderation.APPROVED
        )
        .select_related("statement")
        .order_by("-updated_at", "-pk")
    )
    for answer in mine:
        answer.word = ANSWER_WORDS[answer.vote]
    context = {
        "topic": topic,
        "community": topic.community,
        "can": can,
        "current": services.next_statement(topic, user) if can["vote"] else None,
        "answered": answered,
        "shown": shown,
        "mine": mine,
        "form": form or StatementForm(),
        "my_statements": list(Statement.objects.filter(topic=topic, author=user)),
    }
    if can["moderate"]:
        context["pending"] = list(
            Statement.objects.filter(topic=topic, state=Moderation.PENDING).select_related("author")
        )
        context["hidden"] = list(Statement.objects.filter(topic=topic, state=Moderation.HIDDEN))
        context["hide_form"] = HideStatementForm(auto_id=False)
    return TemplateResponse(request, "deliberation/opinions.html", context, status=status)


@login_required
@require_GET
def opinions(request, topic_id):
    topic = topic_for(request.user, topic_id, "opinion.view")
    return _page(request, topic)


@login_required
@require_POST
def statement_write(request, topic_id):
    topic = topic_for(request.user, topic_id, "opinion.write")
    form = StatementForm(request.POST)
    if form.is_valid():
        try:
            services.write_statement(topic, by=request.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            form.add_error("text", error)
    if form.errors:
        return _page(request, topic, form=form, status=400)
    messages.success(
        request, _("Thank you. A worker will check your statement before others answer it.")
    )
    return redirect("opinions", topic.pk)


@login_required
@require_POST
def statement_answer(request, topic_id, statement_id):
    topic = topic_for(request.user, topic_id, "opinion.vote")
    statement = _statement(topic, statement_id)
    vote = ANSWERS.get(request.POST.get("vote", ""))
    try:
        if vote is None:
            raise ValidationError(_("Please choose agree, disagree or pass."))
        replaced = services.answer_statement(statement, by=request.user, vote=vote)
        if replaced:
            messages.success(request, _("Your answer was changed."))
    except ValidationError as error:
        _fail(request, error)
    return redirect("opinions", topic.pk)


@login_required
@require_POST
def statement_moderate(request, topic_id, statement_id):
    topic = topic_for(request.user, topic_id, "opinion.moderate")
    statement = _statement(topic, statement_id)
    show = request.POST.get("action") == "show"
    form = HideStatementForm(request.POST)
    try:
        if not show and not form.is_valid():
            raise ValidationError(_("Please give the reason for hiding the statement."))
        reason = form.cleaned_data.get("reason", "") if not show else ""
        services.moderate_statement(statement, by=request.user, show=show, reason=reason)
        messages.success(
            request,
            _("The statement is shown for answers.") if show else _("The statement is hidden."),
        )
    except ValidationError as error:
        _fail(request, error)
    return redirect("opinions", topic.pk)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def opinion_map(request, topic_id):
    """The map as the task queue last drew it; never drawn here (services.recompute_map).

    While newer answers wait to be counted, the map part asks again every few seconds (htmx)
    and is replaced when the new drawing is stored.
    """
    topic = topic_for(request.user, topic_id, "opinion.view")
    row, current = services.latest_map(topic)
    answered = StatementVote.objects.filter(topic=topic).exists()
    updating = answered and not current
    if updating:
        with transaction.atomic():
            services.requeue_lost_map(topic)
    context = {
        "topic": topic,
        "community": topic.community,
        "map": services.shown_map(topic, row.data if row and row.data else None),
        "drawn_at": row.computed_at if row and row.data else None,
        "answered": answered,
        "updating": updating,
    }
    name = "deliberation/opinion_map.html" + ("#body" if request.htmx else "")
    return TemplateResponse(request, name, context)


@login_required
@require_GET
def opinion_map_xlsx(request, topic_id):
    topic = topic_for(request.user, topic_id, "opinion.view")
    data = services.map_xlsx(topic, language=get_language() or "zh-hans")
    response = HttpResponse(data, content_type=XLSX)
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="opinion-map-{topic.pk}-{stamp}.xlsx"'
    response["Cache-Control"] = "no-store"
    return response
