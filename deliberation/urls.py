from django.urls import path

from deliberation.views import home

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("my/units/", home.my_units, name="my_units"),
    path("c/<int:community_id>/", home.community_detail, name="community_detail"),
    path("c/<int:community_id>/registry/", home.registry, name="registry"),
]
