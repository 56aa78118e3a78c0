from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_safe

from deliberation.access import community_for, community_ids_of, roles_of
from deliberation.models import ClaimStatus, Community, FlatClaim, Ownership, Role, Unit
from deliberation.permissions import may
from deliberation.registry import electorate_totals
from deliberation.services.work import work_of


@require_safe
def healthz(request):
    """Liveness and database reachability for the proxy and the orchestrator."""
    Community.objects.exists()
    return JsonResponse({"status": "ok"})


@require_GET
def home(request):
    if not request.user.is_authenticated:
        # 公示 is public: every community's notice board, and the document check.
        boards = Community.objects.order_by("name").only("pk", "name")
        return render(request, "deliberation/welcome.html", {"boards": boards})
    communities = Community.objects.filter(pk__in=community_ids_of(request.user)).order_by("name")
    cards = [
        {
            "community": c,
            "roles": [Role(r) for r in sorted(roles_of(request.user, c), key=Role.values.index)],
            "work": work_of(request.user, c, roles_of(request.user, c)),
        }
        for c in communities
    ]
    return render(request, "deliberation/home.html", {"cards": cards})


@login_required
@require_GET
def my_units(request):
    ownerships = (
        Ownership.objects.filter(holder__user=request.user)
        .select_related("unit__building__estate__community", "holder")
        .order_by("unit__building__estate__name", "unit__sort_key")
    )
    total = ownerships.aggregate(area=Sum("unit__area"))["area"]
    claims = (
        FlatClaim.objects.filter(user=request.user)
        .exclude(status=ClaimStatus.MATCHED)
        .select_related("unit__building__estate")
        .order_by("-created_at", "-pk")[:10]
    )
    return render(
        request,
        "deliberation/my_units.html",
        {"ownerships": ownerships, "total_area": total, "claims": claims},
    )


@login_required
@require_GET
def community_detail(request, community_id):
    community = community_for(request.user, community_id, "community.view")
    roles = roles_of(request.user, community)
    estates = community.estates.annotate(
        building_count=Count("buildings", distinct=True),
        unit_count=Count("buildings__units"),
        area=Sum("buildings__units__area"),
    ).order_by("name")
    show_registry = may(roles, "registry.view")
    electorates = {}
    if show_registry:
        electorates = {e.pk: electorate_totals(e) for e in estates}
    rows = [(e, electorates.get(e.pk)) for e in estates]
    return render(
        request,
        "deliberation/community_detail.html",
        {
            "community": community,
            "roles": roles,
            "rows": rows,
            "show_registry": show_registry,
            "can_import": may(roles, "registry.import"),
        },
    )


@login_required
@require_GET
def registry(request, community_id):
    """The register of one community, for staff: buildings with their units and holders."""
    community = community_for(request.user, community_id, "registry.view")
    owners = Prefetch(
        "ownerships", queryset=Ownership.objects.select_related("holder").order_by("pk")
    )
    units = (
        Unit.objects.filter(building__estate__community=community)
        .select_related("building__estate")
        .prefetch_related(owners)
        .order_by("building__estate__name", "sort_key", "pk")
    )
    estate_id = request.GET.get("estate")
    if estate_id and estate_id.isdigit():
        units = units.filter(building__estate_id=int(estate_id))
    page = Paginator(units, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "deliberation/registry.html",
        {"community": community, "page": page, "estates": community.estates.order_by("name")},
    )
