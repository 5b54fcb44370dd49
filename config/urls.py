from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

urlpatterns = [
    path("", include("procurement.urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("suppliers.urls")),
    path("", include("bidding.urls")),
    path("", include("evaluation.urls")),
    path("", include("esign.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("procurement.api_urls")),
    path("api/v1/", include("esign.api_urls")),
    path("api/v1/", include("suppliers.api_urls")),
    path("api/v1/", include("bidding.api_urls")),
    path("api/v1/", include("evaluation.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
    path("operator/", admin.site.urls),
]

handler403 = "core.views.permission_denied"
