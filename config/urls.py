from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("me/", include("accounts.urls")),
    path("meetings/", include("meetings.urls")),
    path("", include("deliberation.urls")),
]
