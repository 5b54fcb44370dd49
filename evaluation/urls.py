from django.urls import path

from . import pages

app_name = "evaluation"
urlpatterns = [
    path("tenders/<int:pk>/evaluation/", pages.evaluation_page, name="page"),
    path("evaluation/committee/", pages.committee_page, name="committee"),
]
