"""The platform's own DER writers give exactly the bytes asn1crypto gives for the same
values (time stamps and receipts were asn1crypto's and cryptography's before, and
verifiers compare their bytes)."""

import secrets
from datetime import UTC, datetime, timedelta, timezone

import pytest
from asn1crypto import core

from esign.der import generalized_time, integer, signing_time

EDGES = [0, 1, -1, 127, 128, 129, -127, -128, -129, 255, 256, -255, -256, -257, 65535, 65536]
EDGES += [2**63 - 1, -(2**63), 2**127 - 1, 2**127, -(2**127)]


@pytest.mark.parametrize("value", EDGES + [secrets.randbits(127) for _ in range(200)])
def test_integers_are_encoded_as_asn1crypto_encodes_them(value):
    assert integer(value) == core.Integer(value).dump()


KST = timezone(timedelta(hours=9))
MOMENTS = [
    datetime(2026, 12, 31, 9, 59, 59, 999999, tzinfo=KST),
    datetime(2026, 12, 31, 10, 0, 0, tzinfo=KST),
    datetime(2027, 1, 1, 0, 0, 0, 100000, tzinfo=UTC),
    datetime(2026, 3, 5, 7, 8, 9, 123450, tzinfo=UTC),
    datetime(2026, 3, 5, 7, 8, 9, 1, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, 500000, tzinfo=timezone(timedelta(hours=-5))),
]


@pytest.mark.parametrize("moment", MOMENTS)
def test_times_are_encoded_as_asn1crypto_encodes_them(moment):
    assert generalized_time(moment) == core.GeneralizedTime(moment).dump()


def test_random_times_are_encoded_as_asn1crypto_encodes_them():
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for _ in range(500):
        moment = start + timedelta(microseconds=secrets.randbelow(10**15))
        moment = moment.astimezone(KST) if secrets.randbelow(2) else moment
        assert generalized_time(moment) == core.GeneralizedTime(moment).dump()


@pytest.mark.parametrize("moment", MOMENTS)
def test_signing_times_are_utc_times_to_the_second_as_rfc_5652_asks(moment):
    second = moment.replace(microsecond=0)
    assert signing_time(moment) == core.UTCTime(second).dump()


@pytest.mark.parametrize("year", [1949, 2050, 2100])
def test_signing_times_outside_utc_time_s_years_are_generalized(year):
    moment = datetime(year, 6, 1, 12, 0, 0, 250000, tzinfo=UTC)
    assert signing_time(moment) == core.GeneralizedTime(moment.replace(microsecond=0)).dump()
