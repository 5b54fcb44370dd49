"""Reserve prices: one price in each band around the base amount, whole won, committed to
before any bid and checked against that commitment at the opening."""

from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from bidding.envelope import EnvelopeError
from bidding.reserve_prices import (
    reserve_prices_draw,
    reserve_prices_open,
    reserve_prices_plaintext,
    reserve_prices_seal,
)


@given(
    base=st.integers(min_value=1_000, max_value=10**13),
    count=st.integers(min_value=1, max_value=30),
    range_pct=st.decimals(min_value=0, max_value=10, places=3),
)
def test_one_whole_won_price_falls_in_each_band(base, count, range_pct):
    prices = reserve_prices_draw(base, count=count, range_pct=range_pct)
    assert len(prices) == count
    low = base * (100 - range_pct) / 100
    high = base * (100 + range_pct) / 100
    width = (high - low) / count
    assert all(isinstance(price, int) and low <= price <= high for price in prices)
    if width >= 1:  # wide enough to hold a whole won each
        for band, price in enumerate(sorted(prices)):
            assert low + width * band <= price <= low + width * (band + 1)


def test_the_numbering_is_shuffled():
    orders = {tuple(reserve_prices_draw(10**9, count=15, range_pct=Decimal(2))) for _ in range(5)}
    assert any(list(order) != sorted(order) for order in orders)


def test_sealed_prices_open_only_for_their_lot_and_commitment():
    key = X25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    plaintext = reserve_prices_plaintext(tender="T", lot=1, base_amount=100, prices=[99, 101])
    sealed = reserve_prices_seal(plaintext, public, tender="T", lot=1)
    opened, prices = reserve_prices_open(
        sealed.sealed, key, tender="T", lot=1, commitment=sealed.commitment
    )
    assert (opened, prices) == (plaintext, [99, 101])
    with pytest.raises(EnvelopeError):
        reserve_prices_open(sealed.sealed, key, tender="T", lot=2, commitment=sealed.commitment)
    with pytest.raises(EnvelopeError) as mismatch:
        reserve_prices_open(sealed.sealed, key, tender="T", lot=1, commitment="0" * 64)
    assert mismatch.value.code == "commitment"
