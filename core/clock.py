"""The authoritative clock: every deadline decision reads time from here, once per use case.

It is the database server's clock in production (one clock for every web process, whatever
their hosts' drift), and the local clock on the embedded default. Tests move it with
time-machine, which moves `timezone.now()`; the database clock is only read on PostgreSQL
when `AUTHORITATIVE_CLOCK = "database"`.
"""

from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone


def sql() -> str | None:
    """The clock as an SQL expression, for a statement that reads it together with the rows
    it decides about (one round trip fewer); None when the clock is the local one, which
    the caller reads with `now()` after that statement."""
    if (
        getattr(settings, "AUTHORITATIVE_CLOCK", "local") == "database"
        and connection.vendor == "postgresql"
    ):
        return "clock_timestamp()"
    return None


def now() -> datetime:
    if expression := sql():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {expression}")  # noqa: S608 - a constant expression
            return cursor.fetchone()[0]
    return timezone.now()
