"""Owners' register import (upload → preview → apply), the template file, and the export.

One URL serves the import page and its htmx fragment; every step also works without script.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from deliberation import register_io
from deliberation.access import community_for
from deliberation.audit import record_audit
from deliberation.jobs import start_job
from deliberation.models import JobKind

XLSX = register_io.XLSX_TYPE


class RegisterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Register file (.xlsx)"),
        widget=forms.FileInput(attrs={"accept": ".xlsx," + XLSX}),
        error_messages={
            "required": gettext_lazy("Choose the register file to upload."),
            "empty": gettext_lazy("The file is empty."),
        },
    )
    create_buildings = forms.BooleanField(
        label=gettext_lazy("Create missing buildings"),
        help_text=gettext_lazy(
            "Leave this off to have unknown building names reported as errors (usually typos)."
        ),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Refuse by size before reading a byte of it.
        if upload.size > settings.REGISTER_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s MB; the largest accepted is %(max)s MB.")
                % {
                    "size": register_io.megabytes(upload.size),
                    "max": register_io.megabytes(settings.REGISTER_MAX_BYTES),
                }
            )
        data = upload.read()
        try:
            register_io.check_xlsx_bytes(data)
        except register_io.RegisterFileError as problem:
            raise forms.ValidationError(str(problem)) from None
        return data


class RegisterApplyForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64)
    create_buildings = forms.BooleanField(widget=forms.HiddenInput, required=False)


@login_required
@vary_on_headers("HX-Request")
@require_http_methods(["GET", "HEAD", "POST"])
def register_import(request, community_id):
    community = community_for(request.user, community_id, "registry.import")
    context = {"community": community, "form": RegisterUploadForm(), "plan": None}
    if request.method == "POST":
        if "token" in request.POST:
            outcome = _apply(request, community, context)
        else:
            outcome = _preview(request, community, context)
        if outcome is not None:
            return outcome
    name = "deliberation/register_import.html" + ("#importer" if request.htmx else "")
    return TemplateResponse(request, name, context)


def _preview(request, community, context):
    form = RegisterUploadForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return None
    data = form.cleaned_data["file"]
    create_buildings = form.cleaned_data["create_buildings"]
    try:
        parsed = register_io.read_register(data)
    except register_io.RegisterFileError as problem:
        form.add_error("file", str(problem))
        return None
    plan = register_io.plan_register_import(community, parsed, create_buildings=create_buildings)
    context["plan"] = plan
    if plan.ok and plan.has_changes:
        token = register_io.stash_upload(community, request.user, data)
        context["apply_form"] = _apply_form(token, plan, create_buildings)
        context["form"] = RegisterUploadForm()
    return None


def _apply_form(token, plan, create_buildings):
    """The button that applies this preview: the stashed upload and the plan it showed."""
    return RegisterApplyForm(
        auto_id="apply_%s",
        initial={
            "token": token,
            "fingerprint": plan.fingerprint(),
            "create_buildings": create_buildings,
        },
    )


def _apply(request, community, context):
    form = RegisterApplyForm(request.POST)
    if not form.is_valid():
        context["problem"] = _("This preview is not valid any more. Upload the file again.")
        return None
    token = form.cleaned_data["token"]
    create_buildings = form.cleaned_data["create_buildings"]
    data = register_io.stashed_upload(community, request.user, token)
    if data is None:
        context["problem"] = _(
            "This preview has expired or was already applied. Upload the file again."
        )
        return None
    if len(data) > settings.REGISTER_BACKGROUND_BYTES:
        return _apply_in_background(request, community, context, form.cleaned_data)
    try:
        plan = register_io.import_register(
            community,
            data,
            by=request.user,
            create_buildings=create_buildings,
            expected=form.cleaned_data["fingerprint"],
        )
    except register_io.RegisterChanged:
        plan = register_io.plan_register_import(
            community, register_io.read_register(data), create_buildings=create_buildings
        )
        context["plan"] = plan
        context["changed_meanwhile"] = True
        if plan.ok and plan.has_changes:
            context["apply_form"] = _apply_form(token, plan, create_buildings)
        return None
    except register_io.RegisterRejected as rejected:
        register_io.discard_upload(community, request.user, token)
        context["plan"] = rejected.plan
        return None
    except register_io.RegisterFileError as problem:
        register_io.discard_upload(community, request.user, token)
        context["problem"] = str(problem)
        return None
    register_io.discard_upload(community, request.user, token)
    counts = plan.counts()
    messages.success(
        request,
        _(
            "The register was imported: %(created)s new units, %(updated)s changed, "
            "%(unchanged)s unchanged; %(not_in_file)s units not in the file were left as they are."
        )
        % counts,
    )
    url = reverse("register_import", args=[community.pk])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _apply_in_background(request, community, context, cleaned):
    """A large register is applied by a task worker; the person watches its progress."""
    job = start_job(
        kind=JobKind.REGISTER,
        target=f"register:{community.pk}",
        community=community,
        title=_("Owners' register import: %(community)s") % {"community": community.name},
        params={
            "token": cleaned["token"],
            "fingerprint": cleaned["fingerprint"],
            "create_buildings": cleaned["create_buildings"],
        },
        by=request.user,
    )
    if job.started_by_id != request.user.pk:
        context["problem"] = _(
            "%(name)s is importing this community's register right now. Wait until it is done, "
            "then upload your file again."
        ) % {"name": job.started_by}
        return None
    url = job.get_absolute_url()
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _language():
    return "en" if (translation.get_language() or "").startswith("en") else "zh-hans"


def _xlsx_response(data, filename):
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_safe
def register_template(request, community_id):
    community = community_for(request.user, community_id, "registry.import")
    data = register_io.register_template(community, language=_language())
    return _xlsx_response(data, f"register-template-{community.pk}.xlsx")


@login_required
@require_safe
def register_export(request, community_id):
    community = community_for(request.user, community_id, "registry.export")
    data = register_io.export_register(community, language=_language())
    # Who took a copy of the register (names and phone numbers) is worth knowing later.
    record_audit(
        actor=request.user,
        verb="registry.export",
        target=community,
        community=community,
        public=False,
    )
    stamp = timezone.localdate().strftime("%Y%m%d")
    return _xlsx_response(data, f"register-{community.pk}-{stamp}.xlsx")
