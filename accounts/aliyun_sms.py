"""Alibaba Cloud SMS (阿里云短信服务, dysmsapi, API version 2017-05-25) behind accounts.sms.

`SendSms` is an RPC call: every parameter, the common ones included, is sorted by name,
percent-encoded (RFC 3986: space as %20, `*` as %2A, `~` kept), joined into the canonical query
string, and signed as `POST&%2F&<percent-encoded canonical query>` with HMAC-SHA1 under the key
`<AccessKey secret>&`; the Base64 digest is sent as `Signature`. The gateway answers JSON with
`Code` ("OK" when accepted) and `BizId`, the message id its delivery reports quote.

Each notice message carries our `OutId`. `QuerySendDetails` lists what the gateway holds for
one number on one day (SendDate, yyyyMMdd in Beijing time; PageSize at most 50), each entry
with its OutId and SendStatus (1 waiting for the handset's receipt, 2 failed, 3 delivered):
`query_sent` uses it to learn whether a message whose sender died mid-send ever reached it.

The gateway sends registered templates only: `ALIYUN_SMS_TEMPLATES` maps the project's template
codes to the gateway's (`SMS_123456789`), with "code:language" entries ("vote_notice:en") for a
template registered in another language; `send(phone, text)` uses the template registered as
"text" with the parameter `text`, and fails if there is none.
"""

import base64
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.sms import SmsError

logger = logging.getLogger("gongyi.sms")

API_VERSION = "2017-05-25"


def percent_encode(value):
    return urllib.parse.quote(str(value), safe="~")


def canonical_query(params):
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def sign(params, secret, method="POST"):
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def national_number(phone):
    """The gateway takes mainland numbers without the country code."""
    phone = phone.strip().replace(" ", "")
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            return phone[len(prefix) :]
    return phone


class AliyunSender:
    def __init__(self):
        self.endpoint = settings.ALIYUN_SMS_ENDPOINT
        self.key_id = settings.ALIYUN_SMS_ACCESS_KEY_ID
        self.secret = settings.ALIYUN_SMS_ACCESS_KEY_SECRET
        self.sign_name = settings.ALIYUN_SMS_SIGN_NAME
        self.templates = settings.ALIYUN_SMS_TEMPLATES
        self.timeout = settings.ALIYUN_SMS_TIMEOUT

    def send(self, phone, text):
        self.send_template(phone, template="text", params={"text": text}, text=text)

    def send_template(self, phone, *, template, params, text, out_id="", language=""):
        # A template registered in the recipient's language ("vote_notice:en"), else the
        # default one (the gateway's templates are in Chinese unless registered otherwise).
        code = self.templates.get(f"{template}:{language}") or self.templates.get(template)
        if not code:
            raise SmsError(f"no gateway template is registered for {template!r}")
        request = {
            "Action": "SendSms",
            "PhoneNumbers": national_number(phone),
            "SignName": self.sign_name,
            "TemplateCode": code,
            "TemplateParam": json.dumps(params, ensure_ascii=False, sort_keys=True),
        }
        if out_id:
            request["OutId"] = out_id
        answer = self._call(request)
        if answer.get("Code") != "OK" or not answer.get("BizId"):
            raise SmsError(f"{answer.get('Code', 'refused')}: {answer.get('Message', '')}")
        logger.info("SMS %s to %s accepted as %s", code, request["PhoneNumbers"], answer["BizId"])
        return str(answer["BizId"])

    def query_sent(self, phone, *, out_id, since):
        """What the gateway holds of the message tagged `out_id` to `phone`, sent at `since`
        or later (Beijing days up to today): None if it never got it."""
        day = timezone.localdate(since)
        today = timezone.localdate()
        while day <= today:
            page = 1
            while True:
                answer = self._call(
                    {
                        "Action": "QuerySendDetails",
                        "PhoneNumber": national_number(phone),
                        "SendDate": day.strftime("%Y%m%d"),
                        "PageSize": "50",
                        "CurrentPage": str(page),
                    }
                )
                if answer.get("Code") != "OK":
                    raise SmsError(f"{answer.get('Code', 'refused')}: {answer.get('Message')}")
                entries = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
                for entry in entries:
                    if entry.get("OutId") == out_id:
                        return _found(entry)
                if len(entries) < 50:
                    break
                page += 1
            day += timedelta(days=1)
        return None

    def _call(self, action):
        request = {
            "AccessKeyId": self.key_id,
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
            **action,
        }
        request["Signature"] = sign(request, self.secret)
        body = urllib.parse.urlencode(request).encode()
        if not self.endpoint.startswith(("https://", "http://")):
            raise SmsError("ALIYUN_SMS_ENDPOINT must be an http(s) URL")
        http = urllib.request.Request(  # noqa: S310  (the scheme is checked above)
            self.endpoint,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(http, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            try:
                answer = json.loads(error.read() or b"{}")
            except ValueError:
                answer = {"Code": f"HTTP {error.code}"}
        except (OSError, ValueError) as error:
            raise SmsError(f"gateway unreachable: {error}") from error
        return answer


def _found(entry):
    """A QuerySendDetails entry as a delivery outcome."""
    status = {2: "failed", 3: "delivered"}.get(int(entry.get("SendStatus") or 1), "sent")
    reason = "" if status != "failed" else str(entry.get("ErrCode", ""))
    return {"status": status, "reason": reason, "message_id": ""}
