"""The app's URLs, and one more for the tests' ASGI child (tests/browser/asgi_server.py):
empty its cache between tests, as tests/conftest.py does in the test process."""

from django.core.cache import cache
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import handler400, handler403, handler404, handler500, urlpatterns
from meetings.consumers import SNAPSHOTS

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

CLEAR_CACHE_PATH = "__tests__/cache/clear/"


@csrf_exempt
@require_POST
def clear_cache(request):
    cache.clear()
    SNAPSHOTS.clear()
    return HttpResponse(status=204)


urlpatterns = [path(CLEAR_CACHE_PATH, clear_cache), *urlpatterns]
