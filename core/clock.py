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


def now() -> datetime:
    if (
        getattr(settings, "AUTHORITATIVE_CLOCK", "local") == "database"
        and connection.vendor == "postgresql"
    ):
        with connection.cursor() as cursor:
            cursor.execute("SELECT clock_timestamp()")
            return cursor.fetchone()[0]
    return timezone.now()
