from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from . import ratelimit


class ThrottledModelBackend(ModelBackend):
    """Refuses every sign-in, right password or not, while the account or the client address
    is throttled, on every path that authenticates (sign-in page, operator console, API)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if (
            request is not None
            and username is not None
            and ratelimit.login_blocked(username, ratelimit.client_address(request))
        ):
            raise PermissionDenied  # authenticate() stops here and reports a failed login
        return super().authenticate(request, username=username, password=password, **kwargs)
