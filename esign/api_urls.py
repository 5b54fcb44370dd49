from django.urls import path

from . import api

urlpatterns = [
    path("certificates/", api.certificates, name="api-certificates"),
    path("certificates/challenge/", api.certificate_challenge, name="api-certificate-challenge"),
    path(
        "certificates/external/",
        api.certificate_register_external,
        name="api-certificate-external",
    ),
    path("certificates/<str:serial>/", api.certificate_detail, name="api-certificate"),
    path(
        "certificates/<str:serial>/revoke/", api.certificate_revoke, name="api-certificate-revoke"
    ),
]
