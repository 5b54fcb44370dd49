"""Receipts for bids and withdrawals: what the platform signs back, and how anyone checks it.

    body       = canonical JSON (RFC 8785) of the receipt, format "jangteo-receipt/1"
    signature  = CMS SignedData, detached, over body, by the platform's receipts key
                 (ECDSA P-256, certificate and its issuing CA embedded; its signing time
                 is the receipt's authoritative time, to the second)
    timestamp  = RFC 3161 time-stamp token over SHA-256(body)

A receipt is issued in the transaction that stores the envelope: a supplier holding one
holds proof that the platform has the envelope with that hash, received at that time.
The downloadable bundle is JSON carrying the three parts (base64); docs/bid-envelope.md
shows how to check it offline with openssl.
"""

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings

from core import clock
from esign.models import AuthorityRole
from esign.service_keys import service_keys
from esign.signed_data import detached_signature
from esign.timestamps import timestamp_token

from .envelope import canonical_json

FORMAT = "jangteo-receipt/1"
BUNDLE_FORMAT = "jangteo-receipt-bundle/1"


@dataclass(frozen=True)
class SignedReceipt:
    number: str
    body: bytes
    signature: bytes
    timestamp: bytes


def receipt_number() -> str:
    """Random, so issuing one takes no shared counter on the hot path."""
    return f"JR-{secrets.token_hex(8).upper()}"


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def receipt_key_roles() -> tuple[str, ...]:
    """The platform keys a receipt is made with: its signer, the CA that issued the signer's
    certificate, and the platform's TSA unless an external one stamps."""
    roles = (AuthorityRole.RECEIPTS.value, AuthorityRole.ISSUING.value)
    return roles if settings.TSA_URL else (*roles, AuthorityRole.TSA.value)


def receipt_sign(content: dict, *, keys=None, at: datetime | None = None) -> SignedReceipt:
    """Sign a receipt's content (which must carry its `receipt` number) and time-stamp it.

    `keys` are the current `receipt_key_roles()` keys when the caller has just read them
    (the submission, in its one read), else they are read here; either way a replaced key
    is used at once. `at`, the receipt's authoritative time (its `received_at`), is the
    signature's signing time and the time stamp's; without it, the time the keys were read."""
    body = canonical_json({"format": FORMAT, **content})
    if keys is None:
        keys, read_at = service_keys(*receipt_key_roles())
        at = at or read_at
    elif at is None:
        at = clock.now()
    receipts = keys[AuthorityRole.RECEIPTS].loaded()
    signature = detached_signature(
        body,
        key=receipts.key,
        certificate=receipts.certificate,
        chain=(keys[AuthorityRole.ISSUING].certificate,),
        at=at,
    )
    tsa = keys[AuthorityRole.TSA].loaded() if AuthorityRole.TSA in keys else None
    token = timestamp_token(hashlib.sha256(body).digest(), tsa=tsa, at=at)
    return SignedReceipt(content["receipt"], body, signature, token)


def receipt_bundle_data(*, body: bytes, signature: bytes, timestamp: bytes) -> dict:
    return {
        "format": BUNDLE_FORMAT,
        "receipt": json.loads(body),
        "body": base64.b64encode(body).decode(),
        "signature": base64.b64encode(signature).decode(),
        "timestamp": base64.b64encode(timestamp).decode(),
    }


def receipt_bundle(*, body: bytes, signature: bytes, timestamp: bytes) -> bytes:
    """The file a supplier downloads and keeps."""
    return json.dumps(
        receipt_bundle_data(body=body, signature=signature, timestamp=timestamp),
        indent=2,
        ensure_ascii=False,
    ).encode()
