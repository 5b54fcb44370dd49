"""A tender's opening key and its k-of-n shares (SLIP-39).

At publication the platform makes an X25519 key pair. The public key goes out with the
notice; bids are sealed to it. The private key is encrypted (AES-256-GCM) under a random
32-byte key-encryption key (KEK), and the KEK is split into n SLIP-39 mnemonic shares of
which any k rebuild it. The platform keeps the public key and the encrypted private key,
never the KEK or a share: until k opening officers bring their shares, nobody can open a
bid, the platform's operators and database administrators included.

Pure cryptography, no database: bidding.services stores and delivers what this makes.
"""

import secrets
from dataclasses import dataclass

import shamir_mnemonic
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from shamir_mnemonic import MnemonicError

from .envelope import SUITE, canonical_json

KEK_BYTES = 32
GCM_NONCE_BYTES = 12
MAX_SHARES = 16  # SLIP-39 allows 16 members in a group


class OpeningKeyError(ValueError):
    """Shares that do not rebuild the tender's opening key; `code` says why."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class NewOpeningKey:
    public_key: bytes  # raw X25519, 32 bytes
    wrapped_private_key: bytes  # GCM nonce || AES-256-GCM(KEK, raw private key)
    shares: list[str]  # n SLIP-39 mnemonics, one per opening officer


def _aad(tender: str) -> bytes:
    # The wrapped key names its tender: a wrapped key copied to another tender's row
    # does not unwrap there.
    return f"jangteo-opening-key|{tender}".encode()


def opening_key_create(*, tender: str, threshold: int, shares: int) -> NewOpeningKey:
    """A new key pair for `tender`, its private key wrapped, the KEK split k-of-n."""
    if not 1 <= threshold <= shares <= MAX_SHARES or (threshold == 1 and shares > 1):
        # SLIP-39 refuses 1-of-n (n > 1): every share would be the secret itself.
        raise ValueError("need 2 <= threshold <= shares <= 16, or one share of one")
    private_key = X25519PrivateKey.generate()
    kek = AESGCM.generate_key(bit_length=256)
    nonce = secrets.token_bytes(GCM_NONCE_BYTES)
    raw = private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    wrapped = nonce + AESGCM(kek).encrypt(nonce, raw, _aad(tender))
    # One group of n members of which k are needed. No SLIP-39 passphrase: the shares
    # themselves are the secret.
    mnemonics = shamir_mnemonic.generate_mnemonics(
        group_threshold=1, groups=[(threshold, shares)], master_secret=kek
    )[0]
    return NewOpeningKey(public_key_bytes(private_key.public_key()), wrapped, mnemonics)


def public_key_bytes(public_key: X25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def share_check(share: str) -> str:
    """A share as typed: words in lower case, single spaces. Refuses a mistyped share at
    once (SLIP-39 shares carry a checksum), before it is counted."""
    normal = " ".join(share.lower().split())
    try:
        shamir_mnemonic.share.Share.from_mnemonic(normal)
    except (MnemonicError, ValueError) as error:
        raise OpeningKeyError(f"not a valid share: {error}", "share") from error
    return normal


def share_identifier(share: str) -> tuple[int, int]:
    """(identifier of the share set, member index): which tender's set a share belongs to
    and which of its members it is, without revealing anything about the secret."""
    parsed = shamir_mnemonic.share.Share.from_mnemonic(share_check(share))
    return parsed.identifier, parsed.index


def private_key_rebuild(
    *, tender: str, shares: list[str], wrapped_private_key: bytes, public_key: bytes
) -> X25519PrivateKey:
    """The opening private key from k shares, checked against the published public key."""
    try:
        kek = shamir_mnemonic.combine_mnemonics([share_check(share) for share in shares])
    except MnemonicError as error:
        raise OpeningKeyError(f"the shares do not combine: {error}", "combine") from error
    nonce, sealed = wrapped_private_key[:GCM_NONCE_BYTES], wrapped_private_key[GCM_NONCE_BYTES:]
    try:
        raw = AESGCM(kek).decrypt(nonce, sealed, _aad(tender))
    except InvalidTag as error:
        raise OpeningKeyError("the shares are not this tender's", "unwrap") from error
    private_key = X25519PrivateKey.from_private_bytes(raw)
    if public_key_bytes(private_key.public_key()) != public_key:
        raise OpeningKeyError("the key does not match the published public key", "mismatch")
    return private_key


# --- delivering shares -----------------------------------------------------------------------
# Opening officers are not at the publication. Each share is sealed (HPKE, the envelope's
# suite) to the officer's own share-receiving key, whose private half only they hold; the
# platform keeps that sealed share until the officer has read it, and no share in the clear.


def share_info(*, tender: str, officer: int) -> bytes:
    return canonical_json(
        {"purpose": "jangteo-opening-share", "tender": tender, "officer": officer}
    )


def share_seal(share: str, receiving_key: bytes, *, tender: str, officer: int) -> bytes:
    public_key = X25519PublicKey.from_public_bytes(receiving_key)
    return SUITE.encrypt(
        share.encode(), public_key, info=share_info(tender=tender, officer=officer)
    )


def share_unseal(
    sealed: bytes, receiving_private_key: X25519PrivateKey, *, tender: str, officer: int
) -> str:
    try:
        plain = SUITE.decrypt(
            sealed, receiving_private_key, info=share_info(tender=tender, officer=officer)
        )
    except (InvalidTag, ValueError) as error:
        raise OpeningKeyError("this share was not sealed to this key", "unseal") from error
    return plain.decode()
