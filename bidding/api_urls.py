from django.urls import path

from . import api, api_bids, api_opening

urlpatterns = [
    path(
        "tenders/<int:pk>/registrations/",
        api.tender_registrations,
        name="api-tender-registrations",
    ),
    path("tenders/<int:pk>/lots/<int:lot>/bids", api_bids.bid_submit, name="api-bid-submit"),
    path("tenders/<int:pk>/my-bids/", api_bids.my_bids, name="api-my-bids"),
    path("bids/<int:pk>/withdrawal/", api_bids.bid_withdraw, name="api-bid-withdraw"),
    path("receipts/<str:number>/", api_bids.receipt_download, name="api-receipt"),
    path("tenders/<int:pk>/opening/", api_opening.tender_opening, name="api-tender-opening"),
    path("tenders/<int:pk>/opening/shares/", api_opening.opening_share, name="api-opening-share"),
    path("tenders/<int:pk>/envelopes/", api_opening.tender_envelopes, name="api-envelopes"),
    path("bids/<int:pk>/envelope", api_opening.envelope_download, name="api-envelope"),
    path("opening/receiving-key/", api.receiving_key, name="api-receiving-key"),
    path("opening/shares/", api.opening_shares, name="api-opening-shares"),
    path(
        "opening/shares/<int:pk>/received/",
        api.opening_share_received,
        name="api-opening-share-received",
    ),
]
