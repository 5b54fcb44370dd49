from django.urls import path

from . import api

urlpatterns = [
    path(
        "tenders/<int:pk>/registrations/",
        api.tender_registrations,
        name="api-tender-registrations",
    ),
    path("opening/receiving-key/", api.receiving_key, name="api-receiving-key"),
    path("opening/shares/", api.opening_shares, name="api-opening-shares"),
    path(
        "opening/shares/<int:pk>/received/",
        api.opening_share_received,
        name="api-opening-share-received",
    ),
]
