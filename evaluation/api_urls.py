from django.urls import path

from . import api, api_committee

urlpatterns = [
    path("tenders/<int:pk>/evaluation/", api.tender_evaluation, name="api-tender-evaluation"),
    path("reviews/<int:pk>/disqualification/", api.review_disqualify, name="api-review-disqualify"),
    path("reviews/<int:pk>/score/", api.review_score, name="api-review-score"),
    path("reviews/<int:pk>/award-statement/", api.award_statement, name="api-award-statement"),
    path("reviews/<int:pk>/award/", api.award_make, name="api-award-make"),
    path("lots/<int:pk>/retender/", api.lot_retender_view, name="api-lot-retender"),
    path("awards/<int:pk>/complaints/", api.complaint_file, name="api-complaint-file"),
    path("complaints/<int:pk>/decision/", api.complaint_decide, name="api-complaint-decide"),
    path(
        "complaints/<int:pk>/documents/<int:document>/",
        api.complaint_document,
        name="api-complaint-document",
    ),
    path("complaints/<int:pk>/withdrawal/", api.complaint_withdraw, name="api-complaint-withdraw"),
    path(
        "evaluations/<int:pk>/committee/",
        api_committee.committee_appoint,
        name="api-committee-appoint",
    ),
    path("committee/", api_committee.my_seats, name="api-committee-seats"),
    path(
        "committee/<int:pk>/declaration/",
        api_committee.declaration_sign,
        name="api-committee-declaration",
    ),
    path("committee/<int:pk>/scoresheet/", api_committee.scoresheet, name="api-scoresheet"),
]
