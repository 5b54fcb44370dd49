"""Use cases of people and organisations."""

from django.db import transaction

from core.audit import PLATFORM_STREAM, audit_record

from . import ratelimit


def login_record(*, user, address: str) -> None:
    with transaction.atomic():
        audit_record(
            stream=PLATFORM_STREAM,
            kind="auth.login",
            actor=user,
            obj=user,
            data={"address": address},
        )
    ratelimit.login_succeeded(user.get_username(), address)


def login_failure_record(*, username: str, address: str, throttled: bool) -> None:
    with transaction.atomic():
        audit_record(
            stream=PLATFORM_STREAM,
            kind="auth.login_throttled" if throttled else "auth.login_failed",
            data={"username": username[:150], "address": address},
        )
