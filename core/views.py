"""Error views that the platform needs to take note of."""

from django.db import transaction
from django.views.defaults import permission_denied as render_permission_denied

from .audit import PLATFORM_STREAM, audit_record


def permission_denied(request, exception=None):
    """Every refused access is a security-relevant event: record who tried what.

    It runs after the refused use case has rolled back, in a transaction of its own.
    """
    user = request.user if request.user.is_authenticated else None
    with transaction.atomic():
        audit_record(
            stream=PLATFORM_STREAM,
            kind="access.denied",
            actor=user,
            data={
                "method": request.method,
                "path": request.path[:300],
                "address": request.META.get("REMOTE_ADDR", ""),
            },
        )
    return render_permission_denied(request, exception)
