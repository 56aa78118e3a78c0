from django.urls import path

from meetings.consumers import RoomConsumer
from meetings.health import HealthConsumer

websocket_urlpatterns = [
    path("ws/health/", HealthConsumer.as_asgi()),
    path("ws/meetings/<int:meeting_id>/", RoomConsumer.as_asgi()),
]
