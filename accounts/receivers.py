"""Sign-in outcomes from Django's auth signals.

They are the one hook every sign-in path shares, including the operator console's own
login form, which this project does not own; counting and auditing here covers them all.
"""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from . import ratelimit, services


@receiver(user_logged_in, dispatch_uid="accounts.login_succeeded")
def login_succeeded(sender, request, user, **kwargs):
    services.login_record(user=user, address=ratelimit.client_address(request))


@receiver(user_login_failed, dispatch_uid="accounts.login_failed")
def login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))
    address = ratelimit.client_address(request) if request is not None else "unknown"
    throttled = ratelimit.login_blocked(username, address)
    if not throttled:
        ratelimit.login_failed(username, address)
    services.login_failure_record(username=username, address=address, throttled=throttled)
