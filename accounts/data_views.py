"""Download my data: a person's own records, as a page and as JSON or a spreadsheet."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts import data_export
from accounts.signals import personal_data_exported

FORMATS = {
    "json": ("application/json; charset=utf-8", "json"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


@login_required
@require_safe
@never_cache
def my_data(request):
    data = data_export.collect(request.user)
    return render(request, "account/my_data.html", {"data": data})


@login_required
@require_safe
@never_cache
def my_data_download(request):
    kind = request.GET.get("format", "json")
    if kind not in FORMATS:
        kind = "json"
    data = data_export.collect(request.user)
    if kind == "xlsx":
        body = data_export.as_xlsx(data)
    else:
        body = data_export.as_json(data).encode()
    if request.method == "GET":
        personal_data_exported.send(sender=type(request.user), user=request.user)
    content_type, extension = FORMATS[kind]
    response = HttpResponse(body, content_type=content_type)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="gongyi-my-data-{stamp}.{extension}"'
    return response
