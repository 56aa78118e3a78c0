"""Service of notice: the SMS gateway's delivery reports, and the vote's delivery pages.

The gateway's delivery reports (状态报告) come to one endpoint.

Authenticity: the gateway is configured to post to /sms/status/<SMS_CALLBACK_TOKEN>/, a long
random secret known only to it and to us (Alibaba Cloud's HTTP reports carry no signature of
their own). A wrong token is refused with 403, a malformed report or one naming an unknown
message with 400; each refusal is logged and changes nothing.
"""

import hmac
import io
import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from deliberation.audit import record_audit
from deliberation.delivery import (
    ReportRefused,
    household_rows,
    record_receipt,
    record_sms_report,
    served_condition,
)
from deliberation.documents.pdf import render_pdf
from deliberation.documents.responses import pdf_response, stored_pdf_response
from deliberation.documents.storage import publish_document
from deliberation.forms.notices import ReceiptForm
from deliberation.models import (
    Building,
    Delivery,
    DeliveryChannel,
    DeliveryPurpose,
    DocumentKind,
    VoteState,
)
from deliberation.notices import mask_text
from deliberation.views.votes import coverage_text, vote_for

logger = logging.getLogger("gongyi.delivery")


@csrf_exempt
@require_POST
def sms_status(request, token):
    expected = settings.SMS_CALLBACK_TOKEN
    if not expected:
        raise Http404
    if not hmac.compare_digest(token.encode(), expected.encode()):
        logger.warning("SMS report refused: wrong token from %s", request.META.get("REMOTE_ADDR"))
        return JsonResponse({"code": 403, "msg": "forbidden"}, status=403)
    try:
        payload = json.loads(request.body)
        updated = record_sms_report(payload)
    except (ValueError, ReportRefused) as error:
        logger.warning("SMS report refused: %s", error)
        return JsonResponse({"code": 400, "msg": "refused"}, status=400)
    logger.info("SMS report applied to %s records", updated)
    return JsonResponse({"code": 0, "msg": "接收成功"})


def _delivery_vote(request, vote_id):
    return vote_for(request.user, vote_id, "vote.delivery")


def _buildings(rows):
    groups = {}
    for row in rows:
        building = row.unit.building
        groups.setdefault(building.pk, {"building": building, "rows": []})["rows"].append(row)
    return list(groups.values())


@login_required
@require_http_methods(["GET", "POST"])
def vote_delivery(request, vote_id):
    """Coverage of the assembly notice, the households still to be served by a visit, their
    paper lists, and the form where a worker records a signed receipt by its code."""
    vote = _delivery_vote(request, vote_id)
    notice = vote.notice
    form = ReceiptForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if notice is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                delivery = record_receipt(notice, form.cleaned_data["code"], by=request.user)
            except ValidationError as error:
                form.add_error("code", error)
            else:
                messages.success(
                    request,
                    _("Receipt recorded: %(unit)s is served.") % {"unit": delivery.unit},
                )
                return redirect("vote_delivery", vote.pk)
        status = 400
    context = {"vote": vote, "notice": notice, "form": form}
    if notice is not None:
        rows = list(household_rows(notice).filter(served=False))
        context.update(coverage=coverage_text(notice), unserved=_buildings(rows))
    return TemplateResponse(request, "deliberation/vote_delivery.html", context, status=status)


@login_required
@require_safe
def vote_delivery_print(request, vote_id, building_id):
    """The paper delivery list of one building: a receipt slip per unserved household."""
    vote = _delivery_vote(request, vote_id)
    if vote.notice is None:
        raise Http404
    rows = list(household_rows(vote.notice).filter(served=False, unit__building_id=building_id))
    building = get_object_or_404(Building, pk=building_id, estate_id=vote.estate_id)
    return TemplateResponse(
        request,
        "deliberation/vote_delivery_print.html",
        {"vote": vote, "notice": vote.notice, "building": building, "rows": rows},
    )


@login_required
@require_safe
def vote_delivery_export(request, vote_id):
    """Proof of service as a spreadsheet: every record of the assembly notice, one per row."""
    vote = _delivery_vote(request, vote_id)
    if vote.notice is None:
        raise Http404
    data = delivery_workbook(vote.notice)
    record_audit(
        actor=request.user,
        verb="vote.delivery_export",
        target=vote,
        community=vote.community_id,
        public=False,
    )
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="vote-{vote.pk}-delivery.xlsx"'
    return response


def _when(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _masked_recipient(delivery):
    if delivery.channel == DeliveryChannel.EMAIL and "@" in delivery.recipient:
        name, domain = delivery.recipient.split("@", 1)
        return f"{name[:1]}***@{domain}"
    if delivery.channel == DeliveryChannel.SMS:
        return mask_text(delivery.recipient.removeprefix("+86"))
    return ""


def delivery_workbook(notice):
    from openpyxl import Workbook

    served = {row.unit_id: row.served for row in household_rows(notice)}
    book = Workbook()
    sheet = book.active
    sheet.title = _("Proof of service")[:31]
    sheet.append([notice.title])
    sheet.append(
        [
            _("Building"),
            _("Unit"),
            _("Owner"),
            _("Channel"),
            _("Sent to"),
            _("Status"),
            _("Reason"),
            _("Sent at"),
            _("Gateway message id"),
            _("Gateway report at"),
            _("First viewed"),
            _("Slip code"),
            _("Receipt signed"),
            _("Household served"),
        ]
    )
    records = (
        Delivery.objects.filter(notice=notice, purpose=DeliveryPurpose.NOTICE)
        .select_related("unit__building", "holder")
        .order_by("unit__building__name", "unit__stairwell", "unit__number", "channel")
    )
    for d in records:
        sheet.append(
            [
                d.unit.building.name,
                str(d.unit),
                d.holder.name if d.holder else "",
                str(d.get_channel_display()),
                _masked_recipient(d),
                str(d.get_status_display()),
                d.reason,
                _when(d.sent_at),
                d.provider_message_id,
                _when(d.provider_status_at),
                _when(d.viewed_at),
                d.receipt_code,
                _when(d.receipt_signed_at),
                _("yes") if served.get(d.unit_id) else _("no"),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _proof_lines(records):
    lines = []
    for d in records:
        if d.channel == DeliveryChannel.SMS and d.status == "delivered":
            lines.append(_("SMS delivered (%(id)s)") % {"id": d.provider_message_id})
        elif d.channel == DeliveryChannel.APP and d.viewed_at:
            lines.append(_("Opened in the app %(when)s") % {"when": _when(d.viewed_at)})
        elif d.channel == DeliveryChannel.PAPER and d.receipt_signed_at:
            lines.append(
                _("Paper receipt %(code)s signed, recorded %(when)s")
                % {"code": d.receipt_code, "when": _when(d.receipt_signed_at)}
            )
    return lines


@login_required
@require_safe
def vote_delivery_pdf(request, vote_id):
    """Proof of service as a printable document: each household and what proves it served.
    Once the result is published it is one of the vote's documents: stored on first use with
    its verification code and fingerprint, and the same file served from then on."""
    vote = _delivery_vote(request, vote_id)
    notice = vote.notice
    if notice is None:
        raise Http404
    by_unit = {}
    for d in Delivery.objects.filter(notice=notice).filter(
        served_condition(vote.community.service_rule)
    ):
        by_unit.setdefault(d.unit_id, []).append(d)
    rows = [
        {
            "unit": str(row.unit),
            "holder": row.holder.name if row.holder else "",
            "proof": _proof_lines(by_unit.get(row.unit_id, [])),
        }
        for row in household_rows(notice)
    ]
    context = {
        "community": vote.community.name,
        "estate": vote.estate.name,
        "notice": notice,
        "now": timezone.now(),
        "rule": vote.community.get_service_rule_display(),
        "coverage": coverage_text(notice),
        "rows": rows,
    }
    title = _("Proof of service") + f" {vote.title}"
    if vote.state == VoteState.PUBLISHED:
        document = publish_document(
            kind=DocumentKind.DELIVERY_PROOF,
            source=vote,
            community=vote.community,
            title=title,
            template_name="documents/delivery_proof.html",
            context=context,
            by=request.user,
        )
        return stored_pdf_response(document)
    pdf = render_pdf("documents/delivery_proof.html", context)
    return pdf_response(pdf, title)
