from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/tenders/", consumers.BoardConsumer.as_asgi()),
    path("ws/tenders/<int:tender_id>/", consumers.TenderConsumer.as_asgi()),
]
