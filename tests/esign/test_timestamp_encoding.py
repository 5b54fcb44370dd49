"""The time stamp's own DER writers give exactly the bytes asn1crypto gives for the same
values (the tokens were asn1crypto's before, and verifiers compare their bytes)."""

import secrets
from datetime import UTC, datetime, timedelta, timezone

import pytest
from asn1crypto import core

from esign.timestamps import _generalized_time, _integer

EDGES = [0, 1, -1, 127, 128, 129, -127, -128, -129, 255, 256, -255, -256, -257, 65535, 65536]
EDGES += [2**63 - 1, -(2**63), 2**127 - 1, 2**127, -(2**127)]


@pytest.mark.parametrize("value", EDGES + [secrets.randbits(127) for _ in range(200)])
def test_integers_are_encoded_as_asn1crypto_encodes_them(value):
    assert _integer(value) == core.Integer(value).dump()


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
    assert _generalized_time(moment) == core.GeneralizedTime(moment).dump()


def test_random_times_are_encoded_as_asn1crypto_encodes_them():
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for _ in range(500):
        moment = start + timedelta(microseconds=secrets.randbelow(10**15))
        moment = moment.astimezone(KST) if secrets.randbelow(2) else moment
        assert _generalized_time(moment) == core.GeneralizedTime(moment).dump()
