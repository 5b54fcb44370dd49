"""The sealed bid envelope, format version 1: the bytes every client must produce.

docs/bid-envelope.md is the specification; this module is its one implementation on the
server (opening, verification) and in the reference client. Nothing here touches the
database: it is pure format and cryptography, so a third party can read it beside the doc.

    bid.json   = canonical JSON (RFC 8785) of the bid
    inner      = CMS SignedData, detached, over bid.json (the bidder's signature)
    contents   = canonical JSON {"bid": b64(bid.json), "signature": b64(inner),
                                 "documents": [{"name", "content": b64}]}
    sealed     = HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM,
                 to the tender's opening public key, info = seal_info(...), no AAD:
                 enc (32 bytes) || ciphertext
    outer      = CMS SignedData, detached, over sealed (who submitted it)
"""

import base64
import binascii
import hashlib
import json
import re
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

FORMAT = "jangteo-bid/1"
WITHDRAWAL_FORMAT = "jangteo-withdrawal/1"
SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
ENC_LENGTH = 32  # X25519 public key of the sender's ephemeral key
TAG_LENGTH = 16
MAX_SAFE_INTEGER = 2**53 - 1  # the integers every JSON implementation reads exactly
NONCE_BYTES = 32
MAX_SEALED_BYTES = 20 * 1024 * 1024
CURRENCIES = ("KRW",)
_BRN = re.compile(r"^[0-9]{10}\Z")
_SHA256 = re.compile(r"^[0-9a-f]{64}\Z")
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+\Z")


class EnvelopeError(ValueError):
    """The bytes do not follow the envelope format; `code` says which rule failed."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


# --- RFC 8785 canonical JSON ---------------------------------------------------------------


def canonical_json(value) -> bytes:
    """RFC 8785 (JCS) for the values bids use: objects with string keys, arrays, strings,
    integers within ±(2^53 − 1), booleans and null. Floats are refused: amounts are whole
    won, and JCS number formatting is where implementations disagree."""
    if type(value) is dict and _flat(value):
        try:
            return _FLAT.encode(value).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: refused below, with its reason
    return _encode(value).encode("utf-8")


# A receipt is one flat object of ASCII keys and plain values. For that shape json.dumps
# writes what _encode writes, in C (every receipt is made on a bid's hot path): sorted
# code points are sorted UTF-16 code units for ASCII keys, and strings are escaped the same.
_FLAT = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _flat(value: dict) -> bool:
    for key, item in value.items():
        if type(key) is not str or not key.isascii():
            return False
        if not (
            item is None
            or type(item) is str
            or (type(item) is int and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER)
        ):
            return False
    return True


def _encode(value) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise EnvelopeError("integer out of the exact JSON range", "number")
        return str(value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")  # refuses exactly the lone surrogates, at C speed
        except UnicodeEncodeError:
            raise EnvelopeError("lone surrogate in a string", "string") from None
        # json.dumps escapes exactly as ECMAScript's JSON.stringify does for these strings:
        # the two-character forms for \b \t \n \f \r, \u00xx (lower-case) for other control
        # characters, \" and \\; everything else is written as itself.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise EnvelopeError("object keys must be strings", "object")
        # JCS sorts keys by their UTF-16 code units.
        keys = sorted(value, key=lambda key: key.encode("utf-16-be"))
        return "{" + ",".join(f"{_encode(key)}:{_encode(value[key])}" for key in keys) + "}"
    raise EnvelopeError(f"{type(value).__name__} is not allowed in canonical JSON", "type")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64_decode(text, what: str) -> bytes:
    if not isinstance(text, str):
        raise EnvelopeError(f"{what} must be a base64 string", "base64")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise EnvelopeError(f"{what} is not base64", "base64") from error


# --- bid.json --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentRef:
    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Bid:
    """What a bidder signed: read from bid.json after checking every rule of the format."""

    tender: str
    lot: int
    supplier: str
    amount: int
    currency: str
    reserve_picks: tuple[int, ...]
    documents: tuple[DocumentRef, ...]
    nonce: str

    def as_json(self) -> dict:
        return {
            "format": FORMAT,
            "tender": self.tender,
            "lot": self.lot,
            "supplier": self.supplier,
            "amount": self.amount,
            "currency": self.currency,
            "reserve_picks": list(self.reserve_picks),
            "documents": [
                {"name": doc.name, "sha256": doc.sha256, "size": doc.size} for doc in self.documents
            ],
            "nonce": self.nonce,
        }


def bid_json(
    *,
    tender: str,
    lot: int,
    supplier: str,
    amount: int,
    currency: str = "KRW",
    reserve_picks: tuple[int, ...] | list[int] = (),
    documents: list[tuple[str, bytes]] | None = None,
    nonce: str | None = None,
) -> bytes:
    """The canonical bid.json bytes for a bid (documents as (name, content) pairs)."""
    bid = Bid(
        tender=tender,
        lot=lot,
        supplier=supplier,
        amount=amount,
        currency=currency,
        reserve_picks=tuple(sorted(reserve_picks)),
        documents=tuple(
            DocumentRef(name, hashlib.sha256(content).hexdigest(), len(content))
            for name, content in documents or []
        ),
        nonce=nonce
        or base64.urlsafe_b64encode(secrets.token_bytes(NONCE_BYTES)).decode().rstrip("="),
    )
    data = canonical_json(bid.as_json())
    bid_parse(data)  # the same rules the opening applies: never produce what it refuses
    return data


def nonce_new() -> str:
    """32 random bytes, base64url without padding: two bids of the same amount never seal
    to guessable contents."""
    return base64.urlsafe_b64encode(secrets.token_bytes(NONCE_BYTES)).decode().rstrip("=")


def bid_parse(data: bytes) -> Bid:
    """Read bid.json, refusing anything that is not exactly a canonical v1 bid."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise EnvelopeError("bid.json is not JSON", "json") from error
    if not isinstance(value, dict):
        raise EnvelopeError("bid.json must be an object", "json")
    expected = {
        "format", "tender", "lot", "supplier", "amount", "currency",
        "reserve_picks", "documents", "nonce",
    }  # fmt: skip
    if set(value) != expected:
        raise EnvelopeError("bid.json must have exactly the fields of format 1", "fields")
    if value["format"] != FORMAT:
        raise EnvelopeError("unknown bid format", "format")
    if canonical_json(value) != data:
        raise EnvelopeError("bid.json is not in canonical form (RFC 8785)", "canonical")
    bid = Bid(
        tender=_typed(value, "tender", str),
        lot=_typed(value, "lot", int),
        supplier=_typed(value, "supplier", str),
        amount=_typed(value, "amount", int),
        currency=_typed(value, "currency", str),
        reserve_picks=tuple(_typed(value, "reserve_picks", list)),
        documents=tuple(_document(item) for item in _typed(value, "documents", list)),
        nonce=_typed(value, "nonce", str),
    )
    _check(bid)
    return bid


def _typed(value: dict, field: str, kind: type):
    item = value[field]
    if not isinstance(item, kind) or (kind is int and isinstance(item, bool)):
        raise EnvelopeError(f"{field} must be a {kind.__name__}", "fields")
    return item


def _document_name_valid(name: str) -> bool:
    return (
        0 < len(name) <= 200
        and name not in (".", "..")
        and not any(c in "/\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in name)
    )


def _document(item) -> DocumentRef:
    if not isinstance(item, dict) or set(item) != {"name", "sha256", "size"}:
        raise EnvelopeError("a document is {name, sha256, size}", "documents")
    ref = DocumentRef(
        _typed(item, "name", str), _typed(item, "sha256", str), _typed(item, "size", int)
    )
    if not _document_name_valid(ref.name):
        problem = "a document name is 1 to 200 characters, not . or .., without / \\ or controls"
        raise EnvelopeError(problem, "documents")
    if not _SHA256.match(ref.sha256) or ref.size < 0:
        raise EnvelopeError("a document's sha256 is 64 lower-case hex digits", "documents")
    return ref


def _check(bid: Bid) -> None:
    if not bid.tender or len(bid.tender) > 64:
        raise EnvelopeError("tender is the tender's OCID", "fields")
    if bid.lot < 1:
        raise EnvelopeError("lot is the lot's number, from 1", "fields")
    if not _BRN.match(bid.supplier):
        raise EnvelopeError("supplier is a 10-digit business registration number", "fields")
    if bid.amount <= 0:
        raise EnvelopeError("amount is a positive number of won", "amount")
    if bid.currency not in CURRENCIES:
        raise EnvelopeError("currency must be KRW", "fields")
    picks = bid.reserve_picks
    if any(not isinstance(p, int) or isinstance(p, bool) for p in picks):
        raise EnvelopeError("reserve picks are integers", "picks")
    if list(picks) != sorted(set(picks)):
        raise EnvelopeError("reserve picks are distinct and in ascending order", "picks")
    names = [doc.name for doc in bid.documents]
    if len(names) != len(set(names)):
        raise EnvelopeError("document names are distinct", "documents")
    # urlsafe_b64decode skips characters outside the alphabet: the alphabet is checked first.
    if not _BASE64URL.match(bid.nonce):
        raise EnvelopeError("nonce is base64url without padding", "nonce")
    try:
        nonce = base64.urlsafe_b64decode(bid.nonce + "=" * (-len(bid.nonce) % 4))
    except (binascii.Error, ValueError) as error:
        raise EnvelopeError("nonce is base64url without padding", "nonce") from error
    if len(nonce) < 16:
        raise EnvelopeError("nonce has at least 16 random bytes", "nonce")


# --- contents, sealing ----------------------------------------------------------------------


@dataclass(frozen=True)
class Contents:
    bid_json: bytes
    signature: bytes
    documents: dict[str, bytes]


def contents_pack(bid: bytes, signature: bytes, documents: list[tuple[str, bytes]] = ()) -> bytes:
    return canonical_json(
        {
            "bid": b64(bid),
            "signature": b64(signature),
            "documents": [{"name": name, "content": b64(content)} for name, content in documents],
        }
    )


def contents_unpack(data: bytes) -> Contents:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise EnvelopeError("the opened envelope is not JSON", "contents") from error
    if not isinstance(value, dict) or set(value) != {"bid", "signature", "documents"}:
        raise EnvelopeError("the contents are {bid, signature, documents}", "contents")
    if not isinstance(value["documents"], list):
        raise EnvelopeError("documents must be a list", "contents")
    documents = {}
    for item in value["documents"]:
        if not isinstance(item, dict) or set(item) != {"name", "content"}:
            raise EnvelopeError("a document is {name, content}", "contents")
        if not isinstance(item["name"], str) or item["name"] in documents:
            raise EnvelopeError("each document has a name of its own, a string", "contents")
        documents[item["name"]] = b64_decode(item["content"], "a document")
    if canonical_json(value) != data:
        raise EnvelopeError("the contents are not in canonical form (RFC 8785)", "canonical")
    return Contents(
        b64_decode(value["bid"], "bid"), b64_decode(value["signature"], "signature"), documents
    )


def seal_info(*, tender: str, lot: int, supplier: str) -> bytes:
    """HPKE `info`: binds the sealed bytes to one tender, lot and supplier, so an envelope
    moved to another cannot be opened there."""
    return canonical_json(
        {"purpose": "jangteo-bid-envelope", "format": FORMAT, "tender": tender, "lot": lot,
         "supplier": supplier}
    )  # fmt: skip


def seal(contents: bytes, public_key: X25519PublicKey, info: bytes) -> bytes:
    """enc || ciphertext (HPKE single-shot, base mode, no AAD)."""
    return SUITE.encrypt(contents, public_key, info=info)


def unseal(sealed: bytes, private_key: X25519PrivateKey, info: bytes) -> bytes:
    if len(sealed) < ENC_LENGTH + TAG_LENGTH:
        raise EnvelopeError("the envelope is too short", "sealed")
    if len(sealed) > MAX_SEALED_BYTES:
        raise EnvelopeError("the envelope is larger than 20 MiB", "size")
    try:
        return SUITE.decrypt(sealed, private_key, info=info)
    except (InvalidTag, ValueError) as error:
        raise EnvelopeError(
            "the envelope does not open with this key for this tender, lot and supplier",
            "unseal",
        ) from error


# --- withdrawal -----------------------------------------------------------------------------


def withdrawal_statement(*, tender: str, lot: int, supplier: str, envelope_sha256: str) -> bytes:
    """What a bidder signs to withdraw an envelope: canonical JSON naming exactly it."""
    return canonical_json(
        {
            "format": WITHDRAWAL_FORMAT,
            "purpose": "jangteo-bid-withdrawal",
            "tender": tender,
            "lot": lot,
            "supplier": supplier,
            "envelope_sha256": envelope_sha256,
        }
    )
