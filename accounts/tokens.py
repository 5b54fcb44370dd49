"""API tokens: `jt_<prefix>_<secret>`; the prefix finds the row, the SHA-256 proves it.

A token is checked by a statement of its own before the view runs, except where a view
takes a `TokenClaim` (`checks_token_claims`): the bid submission checks it in
the statement that reads everything else it decides on (one statement fewer a bid at a
deadline's rush), through `token_actor_sql`.
"""

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

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


@dataclass(frozen=True)
class TokenClaim:
    """A token as sent, in the platform's shape, not yet checked against its row."""

    prefix: str
    digest: str


def token_claim(token: str) -> TokenClaim | None:
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "jt":
        return None
    return TokenClaim(prefix=parts[1], digest=_digest(token))


def api_token_user(token: str):
    claim = token_claim(token)
    return claim_user(claim) if claim is not None else None


def claim_user(claim: TokenClaim):
    """The active user of the unrevoked token claimed, or None; its last use stored."""
    now = timezone.now()
    found = _token_and_user(prefix=claim.prefix, digest=claim.digest, now=now)
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


# The same check as a part of another statement (PostgreSQL): `token_actor` is the claimed
# token's active user, one row or none; `token_touched` stores its last use when stale.
TOKEN_ACTOR_SQL = (
    "token_actor AS (SELECT t.id AS token_id, {columns} FROM accounts_apitoken t "  # noqa: S105 - SQL
    "JOIN {table} ON {table}.id = t.user_id WHERE t.prefix = %s AND t.digest = %s "
    "AND t.revoked_at IS NULL AND {table}.is_active), "
    "token_touched AS (UPDATE accounts_apitoken SET last_used_at = %s "
    "WHERE id = (SELECT token_id FROM token_actor) "
    "AND (last_used_at IS NULL OR last_used_at < %s))"
)


@functools.cache
def token_actor_sql() -> tuple[str, tuple[str, ...]]:
    """The CTEs that check a TokenClaim within a statement (PostgreSQL), and the names of
    the user's columns in `token_actor` (`user_<attname>`), in the model's order."""
    fields = User._meta.concrete_fields
    table = connection.ops.quote_name(User._meta.db_table)
    quote = connection.ops.quote_name
    names = tuple(f"user_{f.attname}" for f in fields)
    columns = ", ".join(
        f"{table}.{quote(f.column)} AS {name}" for f, name in zip(fields, names, strict=True)
    )
    return TOKEN_ACTOR_SQL.format(columns=columns, table=table), names


def token_actor_params(claim: TokenClaim) -> list:
    """The parameters of `token_actor_sql`'s CTEs, in their order."""
    now = timezone.now()
    return [claim.prefix, claim.digest, now, now - LAST_USED_PRECISION]


def token_actor_user(values):
    """The user of `token_actor`'s columns (`token_actor_sql`'s names, in order), or None
    when the claim found no active user."""
    if values[0] is None:
        return None
    return User.from_db(DEFAULT_DB_ALIAS, _user_attnames(), values)


@functools.cache
def _user_attnames() -> list[str]:
    return [f.attname for f in User._meta.concrete_fields]


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
    """`Authorization: Bearer jt_...` for systems that are not a browser.

    A view with `checks_token_claims = True` checks the token itself, in a statement it
    makes anyway (PostgreSQL): there a token in the platform's shape authenticates nobody
    yet, `request.auth` is its TokenClaim, and the view must check it (`claimed_user`, or
    `token_actor_sql` in its own statement) before it answers anything else."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header.startswith("Bearer "):
            return None
        token = header.removeprefix("Bearer ").strip()
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if getattr(view, "checks_token_claims", False) and connection.vendor == "postgresql":
            claim = token_claim(token)
            if claim is None:
                raise exceptions.AuthenticationFailed(_("Unknown or revoked API token."))
            return AnonymousUser(), claim
        user = api_token_user(token)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API token."))
        return user, None

    def authenticate_header(self, request):
        return 'Bearer realm="jangteo"'


class IsAuthenticatedOrClaimed(permissions.BasePermission):
    """A signed-in user, or a TokenClaim the view goes on to check."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated) or isinstance(
            request.auth, TokenClaim
        )


def claimed_user(claim: TokenClaim):
    """The claim's user, or AuthenticationFailed: for a view's answers that come before its
    own check of the claim (a caller without a valid token hears that and nothing else)."""
    user = claim_user(claim)
    if user is None:
        raise exceptions.AuthenticationFailed(_("Unknown or revoked API token."))
    return user


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
