from django.urls import path

from . import views

app_name = "bidding"
urlpatterns = [
    path("tenders/<int:pk>/participate/", views.participate, name="participate"),
]
