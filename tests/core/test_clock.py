from datetime import timedelta

import pytest
from django.utils import timezone

from core import clock
from tests.conftest import needs_postgres


@needs_postgres("the database server's clock")
@pytest.mark.django_db
def test_the_database_clock_is_the_postgresql_servers(settings):
    settings.AUTHORITATIVE_CLOCK = "database"
    before = timezone.now()
    now = clock.now()
    assert now.tzinfo is not None
    assert abs(now - before) < timedelta(seconds=5)


def test_the_local_clock_is_timezone_aware_utc(settings):
    settings.AUTHORITATIVE_CLOCK = "local"
    assert clock.now().utcoffset() == timedelta(0)
