from django.urls import path

from . import views

app_name = "esign"
urlpatterns = [
    path("pki/<str:role>.crl", views.crl, name="crl"),
    path("pki/<str:role>.crt", views.ca_certificate, {"encoding": "der"}, name="ca"),
    path("pki/<str:role>.pem", views.ca_certificate, {"encoding": "pem"}, name="ca_pem"),
    path("pki/tsa", views.tsa, name="tsa"),
    path("certificates/", views.my_certificates, name="certificates"),
    path("certificates/enroll/", views.enroll, name="enroll"),
    path("certificates/<str:serial>/download/", views.certificate_download, name="download"),
    path("certificates/<str:serial>/revoke/", views.revoke, name="revoke"),
]
