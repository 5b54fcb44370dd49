"""Multiple reserve prices (복수예비가격) for the qualification-review procedure.

At publication the platform draws, for each lot, `count` prices around the lot's base
amount: the range base ± `range_pct` % is cut into `count` equal bands and one whole-won
price is drawn at random in each band; the numbering is then shuffled, so a bidder who picks
"number 3" learns nothing about where it lies. The prices are sealed to the tender's opening
key (HPKE, the envelope's suite) and only a commitment, the SHA-256 of the sealed plaintext,
goes out with the notice. At the opening the plaintext is published: anyone can hash it,
compare it with the commitment, and so know the prices were fixed before any bid came in.

Pure computation and cryptography; bidding.publication stores what this makes.
"""

import hashlib
import json
import secrets
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from .envelope import SUITE, EnvelopeError, canonical_json, nonce_new, unseal

PURPOSE = "jangteo-reserve-prices"


@dataclass(frozen=True)
class SealedReservePrices:
    sealed: bytes  # enc || ciphertext, to the opening public key
    commitment: str  # SHA-256 (hex) of the plaintext


def reserve_prices_draw(base_amount: int, *, count: int, range_pct: Decimal) -> list[int]:
    """`count` whole-won prices, one in each equal band of base ± range_pct %, numbered
    in random order."""
    if base_amount <= 0 or count < 1 or not 0 <= range_pct < 100:
        raise ValueError("need a positive base amount, at least one price, a range below 100 %")
    low = base_amount * (Decimal(100) - range_pct) / 100
    high = base_amount * (Decimal(100) + range_pct) / 100
    width = (high - low) / count
    lowest, highest = _ceiling(low), _floor(high)  # the base amount lies between
    prices = []
    for band in range(count):
        start, end = _ceiling(low + width * band), _floor(low + width * (band + 1))
        price = start + secrets.randbelow(max(end - start, 0) + 1)
        # A band narrower than one won may hold no whole won: stay within the range.
        prices.append(min(max(price, lowest), highest))
    secrets.SystemRandom().shuffle(prices)
    return prices


def _ceiling(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def reserve_prices_plaintext(*, tender: str, lot: int, base_amount: int, prices: list[int]):
    """The bytes committed to and sealed: canonical JSON with a random nonce, so the
    commitment cannot be found by trying likely prices."""
    return canonical_json(
        {
            "purpose": PURPOSE,
            "tender": tender,
            "lot": lot,
            "base_amount": base_amount,
            "prices": prices,
            "nonce": nonce_new(),
        }
    )


def reserve_prices_info(*, tender: str, lot: int) -> bytes:
    return canonical_json({"purpose": PURPOSE, "tender": tender, "lot": lot})


def reserve_prices_seal(plaintext: bytes, public_key: bytes, *, tender: str, lot: int):
    sealed = SUITE.encrypt(
        plaintext,
        X25519PublicKey.from_public_bytes(public_key),
        info=reserve_prices_info(tender=tender, lot=lot),
    )
    return SealedReservePrices(sealed, hashlib.sha256(plaintext).hexdigest())


def reserve_prices_open(
    sealed: bytes, private_key: X25519PrivateKey, *, tender: str, lot: int, commitment: str
) -> tuple[bytes, list[int]]:
    """Open a lot's sealed prices and check them against the published commitment;
    returns the plaintext (to publish) and the prices in their numbering (number 1 first)."""
    plaintext = unseal(sealed, private_key, reserve_prices_info(tender=tender, lot=lot))
    if hashlib.sha256(plaintext).hexdigest() != commitment:
        raise EnvelopeError("the reserve prices do not match their commitment", "commitment")
    value = json.loads(plaintext)
    if value.get("purpose") != PURPOSE or value.get("tender") != tender or value.get("lot") != lot:
        raise EnvelopeError("the reserve prices are not this lot's", "reserve_prices")
    return plaintext, list(value["prices"])
