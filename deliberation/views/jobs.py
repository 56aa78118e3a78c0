"""A person's background jobs: the list, one job's progress (polled by htmx), retry, files.

A job is seen only by the person who started it; anyone else gets 404.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from deliberation.documents.responses import stored_pdf_response
from deliberation.jobs import retry_job, with_live_progress
from deliberation.models import BackgroundJob, StoredDocument


def job_for(user, job_id):
    return get_object_or_404(BackgroundJob.objects.filter(started_by=user), pk=job_id)


@login_required
@require_safe
def job_list(request):
    jobs = BackgroundJob.objects.filter(started_by=request.user)[:50]
    return TemplateResponse(request, "deliberation/job_list.html", {"jobs": jobs})


@login_required
@require_safe
@vary_on_headers("HX-Request")
def job_detail(request, job_id):
    job = with_live_progress(job_for(request.user, job_id))
    name = "deliberation/job_detail.html" + ("#progress" if request.htmx else "")
    return TemplateResponse(request, name, {"job": job})


@login_required
@require_POST
def job_retry(request, job_id):
    job = retry_job(job_for(request.user, job_id))
    return redirect(job)


@login_required
@require_safe
def job_file(request, job_id, index):
    job = job_for(request.user, job_id)
    results = job.results or []
    if index >= len(results):
        raise_missing()
    document = get_object_or_404(
        StoredDocument, pk=results[index]["document"], community=job.community
    )
    return stored_pdf_response(document)


def raise_missing():
    from deliberation.access import raise_not_found

    raise_not_found()
