"""API tokens: `jt_<prefix>_<secret>`; the prefix finds the row, the SHA-256 proves it."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from core.audit import PLATFORM_STREAM, audit_record

from .models import ApiToken

LAST_USED_PRECISION = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """Make a token for `user`; returns the row and the token, which is never shown again."""
    prefix = secrets.token_hex(4)
    token = f"jt_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        row = ApiToken.objects.create(
            user=user, name=name.strip()[:100] or "token", prefix=prefix, digest=_digest(token)
        )
        audit_record(
            stream=PLATFORM_STREAM,
            kind="auth.token_created",
            actor=user,
            obj=row,
            data={"name": row.name, "prefix": prefix},
        )
    return row, token


def api_token_revoke(*, token: ApiToken, actor) -> None:
    if token.user_id != actor.pk:
        raise exceptions.PermissionDenied(_("This is not your token."))
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        audit_record(
            stream=PLATFORM_STREAM,
            kind="auth.token_revoked",
            actor=actor,
            obj=token,
            data={"prefix": token.prefix},
        )


def api_token_user(token: str):
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "jt":
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(prefix=parts[1], digest=_digest(token), revoked_at__isnull=True)
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    # To the minute: a write on every call would cost a commit per request (and queue
    # a busy system's requests behind each other's row lock).
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer jt_...` for systems that are not a browser."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header.startswith("Bearer "):
            return None
        user = api_token_user(header.removeprefix("Bearer ").strip())
        if user is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API token."))
        return user, None

    def authenticate_header(self, request):
        return 'Bearer realm="jangteo"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the tokens."""

    target_class = "accounts.tokens.BearerTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (jt_...), made on the person's page.",
        }
