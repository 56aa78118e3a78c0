"""Simple mode (/simple/): the things most people come for, one action per screen.

我要提议 (raise a matter), 我的事项 (my matters), 去投票 (vote), 看公示 (read notices). Big
buttons, few words, every
screen works without JavaScript. Each screen only lists what the person may already open;
the pages it links to do their own permission checks.
"""

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from deliberation.access import community_ids_of, roles_of
from deliberation.forms.topics import SimpleProposalForm
from deliberation.models import Category, Community, Notice, Ownership, Scope, Topic
from deliberation.permissions import may
from deliberation.services import topics as topic_services

LIST_LIMIT = 20  # a screen an elderly person can read; older items stay on the full pages


def link_of(obj):
    """The object's page, or "" while the page that shows it does not exist."""
    try:
        return obj.get_absolute_url()
    except (NoReverseMatch, AttributeError):
        return ""


@login_required
@require_safe
def simple_home(request):
    return render(request, "deliberation/simple_home.html")


@login_required
@require_safe
def simple_matters(request):
    user = request.user
    mine = Q(proposer=user) | Q(filed_by=user)
    if _has_model("CoSign"):
        mine |= Q(cosigns__user=user)
    topics = (
        Topic.objects.visible_to(user)
        .filter(mine)
        .distinct()
        .select_related("community")
        .order_by("-created_at", "-pk")[:LIST_LIMIT]
    )
    items = [{"topic": t, "url": link_of(t)} for t in topics]
    return render(request, "deliberation/simple_matters.html", {"items": items})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def simple_propose(request):
    """Raise a matter in one screen: it is submitted for co-signs at once."""
    user = request.user
    communities = [
        c
        for c in Community.objects.filter(pk__in=community_ids_of(user)).order_by("name")
        if may(roles_of(user, c), "topic.propose")
    ]
    if not communities:
        messages.error(request, _("You are not registered in a community where you can do this."))
        return redirect("simple_home")
    queryset = Community.objects.filter(pk__in=[c.pk for c in communities]).order_by("name")
    form = SimpleProposalForm(request.POST or None, communities=queryset)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            topic = topic_services.propose_topic(
                data["community"],
                by=user,
                title=data["title"],
                description=data["description"],
                category=Category.OTHER,
                scope=Scope.COMMUNITY,
            )
            topic_services.submit_topic(topic, by=user)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request, _("Thank you. Your matter is sent; neighbours can co-sign it.")
            )
            return redirect("simple_matters")
    status = 400 if request.method == "POST" else 200
    return render(request, "deliberation/simple_propose.html", {"form": form}, status=status)


@login_required
@require_safe
def simple_votes(request):
    items = []
    if _has_model("AssemblyVote"):
        vote_model = apps.get_model("deliberation", "AssemblyVote")
        now = timezone.now()
        estates = Ownership.objects.filter(holder__user=request.user).values(
            "unit__building__estate_id"
        )
        votes = list(
            vote_model.objects.visible_to(request.user)
            .filter(estate_id__in=estates, status="noticed", opens_at__lte=now, closes_at__gt=now)
            .select_related("estate")
            .order_by("closes_at", "pk")[:LIST_LIMIT]
        )
        ballot_model = apps.get_model("deliberation", "Ballot")
        voted = set(
            ballot_model.objects.filter(
                vote__in=[v.pk for v in votes], holder__user=request.user
            ).values_list("vote_id", flat=True)
        )
        items = [{"vote": v, "url": link_of(v), "voted": v.pk in voted} for v in votes]
    return render(request, "deliberation/simple_votes.html", {"items": items})


@login_required
@require_safe
def simple_notices(request):
    notices = (
        Notice.objects.current()
        .filter(community_id__in=community_ids_of(request.user))
        .select_related("community")
        .order_by("-published_at", "-pk")[:LIST_LIMIT]
    )
    items = [{"notice": n, "url": link_of(n)} for n in notices]
    return render(request, "deliberation/simple_notices.html", {"items": items})


def _has_model(name):
    try:
        apps.get_model("deliberation", name)
    except LookupError:
        return False
    return True
