"""The opening key: k of n SLIP-39 shares rebuild it; fewer, wrong, mistyped or another
tender's shares open nothing."""

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from bidding import envelope
from bidding.opening_key import (
    OpeningKeyError,
    opening_key_create,
    private_key_rebuild,
    share_check,
    share_identifier,
)

TENDER = "ocds-jt0001-2026-000123"


@pytest.fixture(scope="module")
def key():
    return opening_key_create(tender=TENDER, threshold=2, shares=3)


def rebuild(key, shares, tender=TENDER):
    return private_key_rebuild(
        tender=tender,
        shares=shares,
        wrapped_private_key=key.wrapped_private_key,
        public_key=key.public_key,
    )


def test_any_two_of_three_shares_open_what_was_sealed_to_the_public_key(key):
    info = envelope.seal_info(tender=TENDER, lot=1, supplier="1018163364")
    sealed = envelope.seal(b"bid", X25519PublicKey.from_public_bytes(key.public_key), info)
    assert len(key.shares) == 3
    for pair in ([0, 1], [0, 2], [2, 1]):
        private_key = rebuild(key, [key.shares[i] for i in pair])
        assert envelope.unseal(sealed, private_key, info) == b"bid"


def test_one_share_is_not_enough(key):
    with pytest.raises(OpeningKeyError) as refusal:
        rebuild(key, key.shares[:1])
    assert refusal.value.code == "combine"


def test_a_mistyped_share_is_caught_by_its_checksum(key):
    words = key.shares[0].split()
    words[5] = "academic" if words[5] != "academic" else "acid"
    with pytest.raises(OpeningKeyError) as refusal:
        share_check(" ".join(words))
    assert refusal.value.code == "share"


def test_shares_are_read_as_people_type_them(key):
    typed = "  " + key.shares[0].upper().replace(" ", "   ") + "\n"
    assert share_check(typed) == key.shares[0]
    assert share_identifier(typed) == share_identifier(key.shares[0])


def test_shares_of_another_tender_do_not_open_this_one(key):
    other = opening_key_create(tender="ocds-jt0001-2026-000999", threshold=2, shares=3)
    with pytest.raises(OpeningKeyError):
        rebuild(key, other.shares[:2])
    with pytest.raises(OpeningKeyError):
        rebuild(key, [key.shares[0], other.shares[1]])


def test_a_wrapped_key_moved_to_another_tender_does_not_unwrap(key):
    with pytest.raises(OpeningKeyError) as refusal:
        rebuild(key, key.shares[:2], tender="ocds-jt0001-2026-000124")
    assert refusal.value.code == "unwrap"


def test_the_rebuilt_key_must_match_the_published_public_key(key):
    other = opening_key_create(tender=TENDER, threshold=2, shares=3)
    with pytest.raises(OpeningKeyError) as refusal:
        private_key_rebuild(
            tender=TENDER,
            shares=key.shares[:2],
            wrapped_private_key=key.wrapped_private_key,
            public_key=other.public_key,
        )
    assert refusal.value.code == "mismatch"


@pytest.mark.parametrize(("k", "n"), [(1, 3), (4, 3), (0, 0), (2, 17)])
def test_impossible_thresholds_are_refused(k, n):
    with pytest.raises(ValueError, match="threshold"):
        opening_key_create(tender=TENDER, threshold=k, shares=n)


def test_a_share_sealed_to_an_officer_opens_only_with_their_key_for_that_tender(key):
    from bidding.opening_key import public_key_bytes, share_seal, share_unseal

    officer_key = X25519PrivateKey.generate()
    sealed = share_seal(
        key.shares[0], public_key_bytes(officer_key.public_key()), tender=TENDER, officer=7
    )
    assert key.shares[0].encode() not in sealed
    assert share_unseal(sealed, officer_key, tender=TENDER, officer=7) == key.shares[0]
    with pytest.raises(OpeningKeyError):
        share_unseal(sealed, X25519PrivateKey.generate(), tender=TENDER, officer=7)
    with pytest.raises(OpeningKeyError):
        share_unseal(sealed, officer_key, tender=TENDER, officer=8)
    with pytest.raises(OpeningKeyError):
        share_unseal(sealed, officer_key, tender="ocds-jt0001-2026-000999", officer=7)
