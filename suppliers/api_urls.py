from django.urls import path

from . import api

urlpatterns = [
    path("suppliers/", api.suppliers, name="api-suppliers"),
    path("suppliers/<str:brn>/", api.supplier_detail, name="api-supplier"),
    path("suppliers/<str:brn>/decision/", api.supplier_decide, name="api-supplier-decision"),
]
