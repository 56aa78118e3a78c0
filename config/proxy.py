"""The client's address, and whether the request came over HTTPS, as a trusted proxy says.

`X-Forwarded-For` and `X-Forwarded-Proto` are plain request headers: anyone may send them.
They are believed only when the connection comes from an address in TRUSTED_PROXIES (nginx in
front of the workers); from anyone else they are dropped, and the client's address is the
peer's. From a trusted proxy the client is the right-most address in `X-Forwarded-For` that
is not itself a trusted proxy: everything left of it was written by the client and proves
nothing. allauth's per-address log-in limits read REMOTE_ADDR, so a client cannot give itself
a fresh address per request.

The server in front of Django must not rewrite the address itself: uvicorn runs with
`--no-proxy-headers` (its default trusts any connection from 127.0.0.1). docs/operations.md
shows the nginx side.
"""

import functools
import ipaddress

from django.conf import settings
from django.core.checks import Warning, register

FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def _networks():
    return _parsed(tuple(settings.TRUSTED_PROXIES))


@functools.lru_cache(maxsize=8)
def _parsed(entries):
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def _address(text):
    text = (text or "").strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address, networks):
    return address is not None and any(address in network for network in networks)


def client_address(peer, forwarded_for, networks):
    """The client's address: the peer's, unless the peer is a trusted proxy."""
    if not _trusted(_address(peer), networks):
        return peer
    hops = [part for part in (forwarded_for or "").split(",") if part.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return peer  # a garbled chain: keep the proxy's own address
        if not _trusted(address, networks):
            return str(address)
    return str(_address(hops[0])) if hops else peer


class ClientAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        networks = _networks()
        peer = meta.get("REMOTE_ADDR", "")
        if _trusted(_address(peer), networks):
            meta["REMOTE_ADDR"] = client_address(peer, meta.get("HTTP_X_FORWARDED_FOR"), networks)
        else:
            for name in FORWARDED:
                meta.pop(name, None)
        return self.get_response(request)


@register(deploy=True)
def check_trusted_proxies(app_configs=None, **kwargs):
    """Behind a proxy that terminates HTTPS, an empty TRUSTED_PROXIES drops its
    X-Forwarded-Proto, and the HTTPS redirect would loop."""
    if settings.SECURE_SSL_REDIRECT and not settings.TRUSTED_PROXIES:
        return [
            Warning(
                "SECURE_SSL_REDIRECT is on but TRUSTED_PROXIES is empty: the proxy's "
                "X-Forwarded-Proto and X-Forwarded-For will be ignored.",
                hint="Set TRUSTED_PROXIES to the proxy's address, e.g. 127.0.0.1 for nginx on "
                "the same machine (docs/operations.md).",
                id="gongyi.W001",
            )
        ]
    return []
