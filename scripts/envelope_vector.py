"""Print the test vector of docs/bid-envelope.md: one complete envelope, made with fixed demo
keys so that anyone can check a client of their own against it.

    .venv/bin/python scripts/envelope_vector.py > vector.md

Signatures (ECDSA) are randomised, so each run prints different signature and envelope
bytes for the same bid; every run's output verifies the same way. The sealing uses a fixed
ephemeral key, printed with the values RFC 9180's key schedule derives from it, so that an
HPKE implementation can reproduce `sealed` byte for byte from the contents. A client must
never do that: it draws a fresh ephemeral key for every envelope. The doc holds one run;
tests/bidding/test_envelope_doc.py and tests/bidding/test_independent_client.py check it.
"""

import base64
import hashlib
import hmac
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.x25519 import (  # noqa: E402
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from cryptography.hazmat.primitives.serialization import pkcs7  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from bidding import envelope  # noqa: E402

# Demo keys, fixed so the vector can be recomputed. Never use them for anything else.
OPENING_PRIVATE_KEY = bytes.fromhex(
    "4a616e6774656f2d6f70656e696e672d6b65792d746573742d766563746f7221"
)
# The vector's HPKE ephemeral key (never fixed in a real client).
EPHEMERAL_PRIVATE_KEY = bytes.fromhex(
    "4a616e6774656f2d657068656d6572616c2d6b65792d766563746f722d303031"
)
SIGNER_SCALAR = int.from_bytes(b"jangteo bid envelope test signer", "big")
TENDER, LOT, SUPPLIER = "ocds-jngt01-2026000123", 1, "1018163364"
NONCE = "dGVzdC12ZWN0b3Itbm9uY2UtMzItYnl0ZXMtbG9uZyE"


def signer():
    key = ec.derive_private_key(SIGNER_SCALAR, ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "한빛건설"),
            x509.NameAttribute(x509.ObjectIdentifier("2.5.4.97"), f"NTRKR-{SUPPLIER}"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Envelope Test Vector (not for use)"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2026, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2036, 1, 1, tzinfo=UTC))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def detached(key, certificate, content: bytes) -> bytes:
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(content)
        .add_signer(certificate, key, hashes.SHA256())
        .sign(
            serialization.Encoding.DER,
            [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
        )
    )


# RFC 9180 base mode with the platform's suite, spelled out so the ephemeral key can be given:
# the library's HPKE draws its own. What it seals opens with the library (checked in main).
KEM_SUITE = b"KEM\x00\x20"
HPKE_SUITE = b"HPKE\x00\x20\x00\x01\x00\x02"


def _extract(suite: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt or bytes(32), b"HPKE-v1" + suite + label + ikm, "sha256").digest()


def _expand(suite: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    labeled = length.to_bytes(2, "big") + b"HPKE-v1" + suite + label + info
    output, block_, counter = b"", b"", 1
    while len(output) < length:
        block_ = hmac.new(prk, block_ + labeled + bytes([counter]), "sha256").digest()
        output, counter = output + block_, counter + 1
    return output[:length]


def seal_with(ephemeral: bytes, recipient: bytes, info: bytes, plaintext: bytes):
    """(sealed, {name: value}) of RFC 9180's single-shot seal, mode_base, no AAD."""
    skE = X25519PrivateKey.from_private_bytes(ephemeral)
    enc = skE.public_key().public_bytes_raw()
    dh = skE.exchange(X25519PublicKey.from_public_bytes(recipient))
    eae_prk = _extract(KEM_SUITE, b"", b"eae_prk", dh)
    shared_secret = _expand(KEM_SUITE, eae_prk, b"shared_secret", enc + recipient, 32)
    context = (
        b"\x00"
        + _extract(HPKE_SUITE, b"", b"psk_id_hash", b"")
        + _extract(HPKE_SUITE, b"", b"info_hash", info)
    )
    secret = _extract(HPKE_SUITE, shared_secret, b"secret", b"")
    key = _expand(HPKE_SUITE, secret, b"key", context, 32)
    base_nonce = _expand(HPKE_SUITE, secret, b"base_nonce", context, 12)
    sealed = enc + AESGCM(key).encrypt(base_nonce, plaintext, None)
    values = {"enc": enc, "shared_secret": shared_secret, "key": key, "base_nonce": base_nonce}
    return sealed, values


def block(name: str, text: str, language: str = "text") -> str:
    return f"<!-- vector:{name} -->\n```{language}\n{text}\n```\n"


def wrapped(data: bytes) -> str:
    text = base64.b64encode(data).decode()
    return "\n".join(text[i : i + 76] for i in range(0, len(text), 76))


def main() -> None:
    key, certificate = signer()
    document = ("가격산출내역서.txt", "공급가액 98,765,000원\n".encode())
    bid = envelope.bid_json(
        tender=TENDER,
        lot=LOT,
        supplier=SUPPLIER,
        amount=98_765_000,
        reserve_picks=[3, 11],
        documents=[document],
        nonce=NONCE,
    )
    inner = detached(key, certificate, bid)
    contents = envelope.contents_pack(bid, inner, [document])
    info = envelope.seal_info(tender=TENDER, lot=LOT, supplier=SUPPLIER)
    opening = X25519PrivateKey.from_private_bytes(OPENING_PRIVATE_KEY)
    public = opening.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    sealed, hpke = seal_with(EPHEMERAL_PRIVATE_KEY, public, info, contents)
    if envelope.unseal(sealed, opening, info) != contents:
        raise SystemExit("the spelled-out sealing does not open with the platform's HPKE")
    outer = detached(key, certificate, sealed)
    print(block("opening-private-key.hex", OPENING_PRIVATE_KEY.hex()))
    print(block("opening-public-key.hex", public.hex()))
    print(
        block("signer.pem", certificate.public_bytes(serialization.Encoding.PEM).decode().strip())
    )
    print(block("bid.json", bid.decode(), "json"))
    print(block("inner.p7s.b64", wrapped(inner)))
    print(block("info", info.decode(), "json"))
    print(block("contents.sha256", hashlib.sha256(contents).hexdigest()))
    print(block("ephemeral-private-key.hex", EPHEMERAL_PRIVATE_KEY.hex()))
    for name in ("enc", "shared_secret", "key", "base_nonce"):
        print(block(f"hpke-{name.replace('_', '-')}.hex", hpke[name].hex()))
    print(block("sealed.b64", wrapped(sealed)))
    print(block("outer.p7s.b64", wrapped(outer)))


if __name__ == "__main__":
    main()
