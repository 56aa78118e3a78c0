"""A person's in-app notifications: the list, and marking them read."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from deliberation.models import Notification
from deliberation.services.topics import mark_notifications_read


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request):
    if request.method == "POST":
        ids = request.POST.getlist("id")
        ids = [int(i) for i in ids if i.isdigit()] or None
        mark_notifications_read(request.user, ids)
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
            return redirect(target)
        return redirect("notifications")
    page = Paginator(Notification.objects.filter(user=request.user), 30).get_page(
        request.GET.get("page")
    )
    return TemplateResponse(request, "deliberation/notifications.html", {"page": page})
