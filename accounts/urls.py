from django.urls import path

from accounts import views

urlpatterns = [
    path("preferences/", views.set_preferences, name="set_preferences"),
    path("profile/", views.profile, name="profile"),
]
