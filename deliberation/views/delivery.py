"""The SMS gateway's delivery reports (状态报告): the one endpoint the gateway calls.

Authenticity: the gateway is configured to post to /sms/status/<SMS_CALLBACK_TOKEN>/, a long
random secret known only to it and to us (Alibaba Cloud's HTTP reports carry no signature of
their own). A wrong token is refused with 403, a malformed report or one naming an unknown
message with 400; each refusal is logged and changes nothing.
"""

import hmac
import json
import logging

from django.conf import settings
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from deliberation.delivery import ReportRefused, record_sms_report

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
