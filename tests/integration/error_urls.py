"""The project's URLs plus one that fails, to see the 500 page (its handlers come along)."""

from django.urls import path

from config.urls import *  # noqa: F403  (urlpatterns and handler400/403/404/500)
from config.urls import urlpatterns as project_urlpatterns


def _fails(request):
    raise RuntimeError("a failure the person must not see")


urlpatterns = [path("test-fails/", _fails), *project_urlpatterns]
