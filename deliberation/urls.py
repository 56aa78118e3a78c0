from django.urls import path

from deliberation.views import home
from deliberation.views import simple as simple_views

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("my/units/", home.my_units, name="my_units"),
    path("c/<int:community_id>/", home.community_detail, name="community_detail"),
    path("c/<int:community_id>/registry/", home.registry, name="registry"),
    # Simple mode: one action per screen
    path("simple/", simple_views.simple_home, name="simple_home"),
    path("simple/matters/", simple_views.simple_matters, name="simple_matters"),
    path("simple/vote/", simple_views.simple_votes, name="simple_votes"),
    path("simple/notices/", simple_views.simple_notices, name="simple_notices"),
]
