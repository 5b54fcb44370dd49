"""API tokens: `jt_<prefix>_<secret>`; the prefix finds the row, the SHA-256 proves it."""

import functools
import hashlib
import secrets
from datetime import timedelta

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from core.audit import PLATFORM_STREAM, audit_record, prepared_cursor

from .models import ApiToken, User

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
    now = timezone.now()
    found = _token_and_user(prefix=parts[1], digest=_digest(token), now=now)
    if found is None:
        return None
    token_id, last_used_at, user = found
    if not user.is_active:
        return None
    # To the minute: a write on every call would cost a commit per request (and queue
    # a busy system's requests behind each other's row lock). PostgreSQL has stored it
    # with the lookup.
    if connection.vendor != "postgresql" and _stale(last_used_at, now):
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    return user


def _stale(last_used_at, now) -> bool:
    return last_used_at is None or now - last_used_at > LAST_USED_PRECISION


@functools.cache
def _user_query(vendor: str):
    """The token-and-user query, and each user column's conversions from the database (as
    the ORM applies them: SQLite's booleans and times). Built once: compiling the ORM's
    version of it on every API call cost a third of a millisecond."""
    fields = User._meta.concrete_fields
    table = connection.ops.quote_name(User._meta.db_table)
    columns = ", ".join(f"{table}.{connection.ops.quote_name(f.column)}" for f in fields)
    sql = (
        f"SELECT t.id AS token_id, t.last_used_at AS token_last_used_at, {columns} "  # noqa: S608 - the model's own names
        f"FROM accounts_apitoken t JOIN {table} ON {table}.id = t.user_id "
        "WHERE t.prefix = %s AND t.digest = %s AND t.revoked_at IS NULL"
    )
    if vendor == "postgresql":
        # The token's last use stored, when stale, by the statement that finds it: the
        # first call of each token in a minute takes no round trip of its own.
        sql = (
            f"WITH found AS ({sql}), touched AS (UPDATE accounts_apitoken "  # noqa: S608 - constants
            "SET last_used_at = %s WHERE id = (SELECT token_id FROM found WHERE is_active) "
            "AND (last_used_at IS NULL OR last_used_at < %s)) SELECT * FROM found"
        )
    conversions = [_conversion(field) for field in fields]
    last_used = _conversion(ApiToken._meta.get_field("last_used_at"))
    return sql, [f.attname for f in fields], conversions, last_used


def _conversion(field):
    column = field.get_col(field.model._meta.db_table)
    return connection.ops.get_db_converters(column) + column.get_db_converters(connection), column


def _convert(value, conversion, db):
    converters, column = conversion
    for converter in converters:
        value = converter(value, column, db)
    return value


def _token_and_user(*, prefix: str, digest: str, now):
    """(token id, its last use before this one, its user) of the unrevoked token, or None;
    on PostgreSQL the use at `now` is stored too, if the last one is stale."""
    vendor = connection.vendor
    sql, names, conversions, last_used = _user_query(vendor)
    params = [prefix, digest]
    if vendor == "postgresql":
        params += [now, now - LAST_USED_PRECISION]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    db = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy looks it up
    values = [_convert(v, c, db) for v, c in zip(row[2:], conversions, strict=True)]
    return row[0], _convert(row[1], last_used, db), User.from_db(db.alias, names, values)


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
