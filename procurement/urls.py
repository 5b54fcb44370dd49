from django.urls import path

from . import views

app_name = "procurement"
urlpatterns = [
    path("", views.board, name="board"),
    path("tenders/<int:pk>/", views.tender_detail, name="tender"),
    path("tenders/<int:pk>/documents/<int:document_id>/", views.document_download, name="document"),
    path("tenders/<int:pk>/questions/", views.question_ask, name="question_ask"),
    path("agency/tenders/", views.agency_tenders, name="agency_tenders"),
    path("agency/tenders/new/", views.tender_new, name="tender_new"),
    path("agency/tenders/<int:pk>/", views.tender_manage, name="manage"),
    path("agency/tenders/<int:pk>/edit/", views.tender_edit, name="edit"),
    path("agency/tenders/<int:pk>/lots/", views.lot_add, name="lot_add"),
    path("agency/tenders/<int:pk>/items/", views.item_add, name="item_add"),
    path("agency/tenders/<int:pk>/documents/", views.document_add, name="document_add"),
    path("agency/tenders/<int:pk>/publish/", views.tender_publish, name="publish"),
    path("agency/tenders/<int:pk>/amend/", views.tender_amend, name="amend"),
    path("agency/tenders/<int:pk>/cancel/", views.tender_cancel, name="cancel"),
    path(
        "agency/tenders/<int:pk>/questions/<int:question_id>/answer/",
        views.question_answer,
        name="answer",
    ),
]
