"""Session authentication for the API that checks CSRF on Django's own request.

DRF's SessionAuthentication hands its own Request to Django's CSRF check, which reads
`request.POST` through DRF's parsers. Endpoints that read a large body themselves (sealed
envelopes, up to 20 MiB) have no parsers, so a signed-in browser's POST to them failed with
415 before it was even looked at. Django's request answers `POST` without parsing a JSON
body, and the token still comes from the X-CSRFToken header; form posts are checked exactly
as before (DRF reads the form Django already parsed).
"""

from drf_spectacular.authentication import SessionScheme
from rest_framework import authentication


class SessionAuthentication(authentication.SessionAuthentication):
    def enforce_csrf(self, request):
        return super().enforce_csrf(request._request)


class SessionSchemeOfJangteo(SessionScheme):
    """The OpenAPI schema describes it as DRF's session cookie, which it is."""

    target_class = "accounts.session_auth.SessionAuthentication"
