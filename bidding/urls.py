from django.urls import path

from . import pages, views

app_name = "bidding"
urlpatterns = [
    path("tenders/<int:pk>/participate/", views.participate, name="participate"),
    path("tenders/<int:pk>/bid/", pages.bid_page, name="bid"),
    path("tenders/<int:pk>/opening/", pages.opening_page, name="opening"),
    path("opening/shares/", pages.officer_shares, name="officer_shares"),
]
