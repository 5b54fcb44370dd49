from django.urls import path

from . import api

urlpatterns = [
    path("tenders/", api.TenderList.as_view(), name="api-tender-list"),
    path("tenders/<int:pk>/", api.TenderDetail.as_view(), name="api-tender-detail"),
    path("tenders/<int:pk>/audit/", api.tender_audit, name="api-tender-audit"),
    path("tenders/<int:pk>/events/", api.tender_live_events, name="api-tender-events"),
]
