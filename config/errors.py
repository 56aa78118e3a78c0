"""The error pages people meet: in their language, in the site's layout, with the way back.

Named in config/urls.py (handler400/403/404/500) and settings.CSRF_FAILURE_VIEW. Django's own
pages are bare English (403, 400, the CSRF failure) or the debug page; these are not.
"""

import logging

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


def _back(request):
    """The page the person came from, when it is on this site."""
    referer = request.META.get("HTTP_REFERER", "")
    try:
        host = request.get_host()
    except Exception:  # noqa: BLE001  (a disallowed host still gets its error page)
        return None
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return referer
    return None


def _page(request, status, title, text):
    context = {"status": status, "title": title, "text": text, "back": _back(request)}
    return render(request, "error.html", context, status=status)


def bad_request(request, exception=None):
    return _page(
        request,
        400,
        _("The request could not be understood"),
        _("Something in the address or the form was not as expected. Go back and try again."),
    )


def permission_denied(request, exception=None):
    return _page(
        request,
        403,
        _("You may not do this"),
        _(
            "Your account does not have the role this page needs. If you think it should, "
            "ask your community worker."
        ),
    )


def page_not_found(request, exception=None):
    return _page(
        request,
        404,
        _("Page not found"),
        _(
            "There is no page at this address that you can see. The link may be mistyped, "
            "or the page may have moved."
        ),
    )


def server_error(request):
    try:
        return _page(
            request,
            500,
            _("Something went wrong on our side"),
            _(
                "The page could not be shown. Try again in a moment; if it keeps happening, "
                "tell your community worker."
            ),
        )
    except Exception:  # the layout itself failed (e.g. the database is down): plain text
        log.exception("the error page could not be rendered")
        title = escape(_("Something went wrong on our side"))
        return HttpResponseServerError(f"<!DOCTYPE html><title>{title}</title><h1>{title}</h1>")


def csrf_failure(request, reason=""):
    return _page(
        request,
        403,
        _("This form has expired"),
        _(
            "The page was open for a long time, or you signed in or out in another window. "
            "Go back, reload the page, and send the form again."
        ),
    )
