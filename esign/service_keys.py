"""The platform's service keys as the bid path needs them: every current one in one query.

`authority_load` reads its row on every call (a replaced key must be used at once) and
`authority_certificate` parses its PEM on every call: a receipt needs three of them, three
queries and a parse. Here the rows of the roles asked for are read together, and what was
parsed or decrypted is kept per process, keyed by the row's content, as `authority_load`
keeps it: a replaced key or certificate is read afresh on its next use.

A caller that makes a statement anyway at the moment it needs the keys (the bid submission's
read) can read them in it: `service_key_columns` are the columns to add to it,
`service_keys_of` makes the keys of what they read.
"""

import functools
import hashlib
import threading
from datetime import datetime

from cryptography import x509
from django.utils import timezone

from core import clock
from core.audit import prepared_cursor

from .authority import LoadedAuthority, authority_load
from .models import Authority


class ServiceKey:
    """One authority's current certificate; its private key is decrypted on first use
    (only the roles that sign need it, and decrypting takes a tenth of a second)."""

    def __init__(self, role: str, certificate_pem: str):
        self.role = role
        self.certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
        self._lock = threading.Lock()
        self._loaded: LoadedAuthority | None = None

    def loaded(self) -> LoadedAuthority:
        """The certificate with its decrypted key."""
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    loaded = authority_load(self.role)
                    # authority_load read the row again: keep it only if it is this one.
                    if loaded.certificate == self.certificate:
                        self._loaded = loaded
                    return loaded
        return self._loaded


_current: dict[str, tuple[str, ServiceKey]] = {}


@functools.cache
def _query(count: int, clock_sql: str) -> str:
    # The model's own table name and a constant clock expression; the roles are parameters.
    table = Authority._meta.db_table
    placeholders = ", ".join(["%s"] * count)
    return f"SELECT role, certificate_pem, encrypted_key_pem, {clock_sql} FROM {table} WHERE role IN ({placeholders})"  # noqa: E501, S608


def service_key_columns(roles) -> tuple[str, list[str]]:
    """SQL columns (two a role: certificate and encrypted key, by scalar subqueries on the
    unique role) to put in a statement of the caller's, and their parameters."""
    table = Authority._meta.db_table
    one = (
        f"(SELECT certificate_pem FROM {table} WHERE role = %s), "  # noqa: S608 - the model's table
        f"(SELECT encrypted_key_pem FROM {table} WHERE role = %s)"
    )
    return ", ".join([one] * len(roles)), [role for role in roles for _ in (0, 1)]


def service_keys_of(roles, values) -> dict[str, ServiceKey]:
    """The keys of what `service_key_columns(roles)` read (their values, in order)."""
    rows = [
        (role, values[2 * n], values[2 * n + 1])
        for n, role in enumerate(roles)
        if values[2 * n] is not None
    ]
    return _keys(roles, rows)


def _keys(roles, rows) -> dict[str, ServiceKey]:
    found = {}
    for role, certificate_pem, encrypted_key_pem in rows:
        version = hashlib.sha256(f"{certificate_pem}\0{encrypted_key_pem}".encode()).hexdigest()
        cached = _current.get(role)
        if cached is None or cached[0] != version:
            cached = _current[role] = (version, ServiceKey(role, certificate_pem))
        found[role] = cached[1]
    missing = set(roles) - set(found)
    if missing:
        raise Authority.DoesNotExist(f"no platform authority for {', '.join(sorted(missing))}")
    return found


def service_keys(*roles: str) -> tuple[dict[str, ServiceKey], datetime]:
    """The current key of each of `roles` (Authority.DoesNotExist if one has none), and the
    authoritative clock's time once they were read (what a time stamp made with them says:
    one round trip fewer than asking the clock apart)."""
    clock_sql = clock.sql()
    with prepared_cursor() as cursor:
        cursor.execute(_query(len(roles), clock_sql or "NULL"), list(roles))
        rows = cursor.fetchall()
    now = rows[0][3] if clock_sql and rows else timezone.now()
    return _keys(roles, [row[:3] for row in rows]), now
