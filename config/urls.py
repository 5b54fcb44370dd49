from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from bidding import api_urls as bidding_api
from esign import api_urls as esign_api
from evaluation import api_urls as evaluation_api
from procurement import api_urls as procurement_api
from suppliers import api_urls as suppliers_api

# The API's routes in one flat list, in the order the apps' lists had: an include that does
# not match makes Django copy every route it tried (for the 404 page), and five of them
# before the bid submission's route cost a tenth of a bid's time in the deadline storm.
API_V1 = [
    *procurement_api.urlpatterns,
    *esign_api.urlpatterns,
    *suppliers_api.urlpatterns,
    *bidding_api.urlpatterns,
    *evaluation_api.urlpatterns,
]

urlpatterns = [
    # First: no page's route starts with api/, so a page's request passes this in one test.
    path("api/v1/", include(API_V1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("procurement.urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("suppliers.urls")),
    path("", include("bidding.urls")),
    path("", include("evaluation.urls")),
    path("", include("esign.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("operator/", admin.site.urls),
]

handler403 = "core.views.permission_denied"
