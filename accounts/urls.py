from django.urls import path

from accounts import data_views, views

urlpatterns = [
    path("preferences/", views.set_preferences, name="set_preferences"),
    path("profile/", views.profile, name="profile"),
    path("data/", data_views.my_data, name="my_data"),
    path("data/download/", data_views.my_data_download, name="my_data_download"),
]
