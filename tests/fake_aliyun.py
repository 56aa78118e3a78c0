"""A fake Alibaba Cloud SMS gateway (dysmsapi 2017-05-25) on a loopback port, in a thread of the
test process. It checks each request's HMAC-SHA1 signature the way the real one does and
speaks two actions: SendSms (keeps the message with its OutId, answers a BizId) and
QuerySendDetails (lists what it holds for one number and day, paged, each entry with its OutId
and SendStatus). `hold_at=n` makes it keep the n-th message and then not answer until the
test ends, nor take any message after it: the moment a sender is killed with its message
accepted but unacknowledged."""

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

KEY_ID, SECRET = "LTAI-test", "test-secret"
TEMPLATES = {"vote_notice": "SMS_100001", "notice": "SMS_100002", "vote_result": "SMS_100003"}
BEIJING = ZoneInfo("Asia/Shanghai")


def _enc(value):
    # RFC 3986 encoding as the gateway's documentation spells it out
    return (
        urllib.parse.quote(value, safe="")
        .replace("+", "%20")
        .replace("*", "%2A")
        .replace("%7E", "~")
    )


def expected_signature(params, secret=SECRET):
    query = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(params.items()))
    digest = hmac.new(f"{secret}&".encode(), ("POST&%2F&" + _enc(query)).encode(), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode()


class Gateway:
    def __init__(self, hold_at=None):
        self.sent = []  # (phone, template code, params) of each accepted message
        self.messages = []  # dicts: phone, template, params, out_id, biz_id, day
        self.refused = []
        self.queries = []  # (phone, day) of each QuerySendDetails
        self.hold_at = hold_at
        self.dead = False
        self.holding = threading.Event()  # set when the held message is kept
        self.release = threading.Event()
        self.lock = threading.Lock()

    def restore(self):
        """The line is back (a new worker may send); the held request stays unanswered."""
        self.dead = False

    def accept(self, params):
        with self.lock:
            dead = self.dead
            if not dead:
                biz_id = f"{len(self.messages) + 1:06d}^0"
                message = {
                    "phone": params["PhoneNumbers"],
                    "template": params["TemplateCode"],
                    "params": json.loads(params["TemplateParam"]),
                    "out_id": params.get("OutId", ""),
                    "biz_id": biz_id,
                    "day": datetime.now(BEIJING).strftime("%Y%m%d"),
                }
                self.messages.append(message)
                self.sent.append((message["phone"], message["template"], message["params"]))
                held = self.hold_at == len(self.messages)
                self.dead = held
        if dead:
            # Past the held message the line is dead: nothing more arrives.
            self.release.wait()
            return {"Code": "ServiceUnavailable", "Message": "gone"}
        if held:
            self.holding.set()
            self.release.wait()
        return {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": "r"}

    def details(self, params):
        phone, day = params["PhoneNumber"], params["SendDate"]
        self.queries.append((phone, day))
        size, page = int(params.get("PageSize", 10)), int(params.get("CurrentPage", 1))
        with self.lock:
            held = [m for m in self.messages if m["phone"] == phone and m["day"] == day]
        entries = [
            {
                "PhoneNum": m["phone"],
                "SendStatus": 1,  # waiting for the handset's receipt
                "ErrCode": "",
                "TemplateCode": m["template"],
                "OutId": m["out_id"],
                "SendDate": day,
            }
            for m in held[(page - 1) * size : page * size]
        ]
        return {
            "Code": "OK",
            "Message": "OK",
            "TotalCount": len(held),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": entries},
        }

    def answer(self, params):
        signature = params.pop("Signature", "")
        ok = (
            hmac.compare_digest(signature, expected_signature(params))
            and params.get("AccessKeyId") == KEY_ID
            and params.get("Version") == "2017-05-25"
            and params.get("SignatureMethod") == "HMAC-SHA1"
        )
        if not ok:
            self.refused.append(params.get("PhoneNumbers") or params.get("PhoneNumber"))
            return {"Code": "SignatureDoesNotMatch", "Message": "bad signature"}, 400
        if params.get("Action") == "SendSms":
            return self.accept(params), 200
        if params.get("Action") == "QuerySendDetails":
            return self.details(params), 200
        return {"Code": "InvalidAction.NotFound"}, 404


class _Handler(BaseHTTPRequestHandler):
    gateway = None

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        params = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        answer, status = self.server.gateway.answer(params)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops concurrent connects (a 1 s SYN retry each)

    def handle_error(self, request, client_address):
        pass  # a sender killed mid-request leaves a broken socket behind: expected here


@contextmanager
def fake_gateway(hold_at=None):
    """Yield (gateway, endpoint URL)."""
    gateway = Gateway(hold_at=hold_at)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.gateway = gateway
    # shutdown() waits for the loop to look up from select(): at the default 0.5 s, half a
    # second at the end of every test that used the gateway.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield gateway, f"http://127.0.0.1:{server.server_port}/"
    finally:
        gateway.release.set()
        server.shutdown()
        server.server_close()


def sender_settings(endpoint):
    """The settings that point the Aliyun sender at the fake gateway (names as env vars)."""
    return {
        "SMS_SENDER": "accounts.aliyun_sms.AliyunSender",
        "ALIYUN_SMS_ENDPOINT": endpoint,
        "ALIYUN_SMS_ACCESS_KEY_ID": KEY_ID,
        "ALIYUN_SMS_ACCESS_KEY_SECRET": SECRET,
        "ALIYUN_SMS_TEMPLATES": json.dumps(TEMPLATES),
    }


def point_settings_at(settings, endpoint):
    """Point this process's Aliyun sender at the fake gateway (pytest-django's `settings`); a
    child process takes `sender_settings(endpoint)` as its environment instead."""
    for name, value in sender_settings(endpoint).items():
        setattr(settings, name, value)
    settings.ALIYUN_SMS_TEMPLATES = TEMPLATES
