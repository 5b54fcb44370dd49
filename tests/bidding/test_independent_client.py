"""docs/bid-envelope.md says a client written from it alone must work. This is such a client,
written from the page and nothing else: its own RFC 8785 canonical JSON, its own RFC 9180
HPKE built from bare primitives (X25519, HMAC-SHA-256, AES-256-GCM), and the `openssl cms`
command line for both signatures. It imports nothing of `bidding`, `esign` or
`jangteo_client` to make its bids; it talks to the platform over HTTP only. It is first
proven on its own against the page's test vector, then its bid goes through the real API
and the real opening."""

import base64
import hashlib
import hmac
import json
import re
import secrets
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.esign.conftest import OPENSSL, needs_openssl

pytestmark = needs_openssl

DOC = Path(__file__).resolve().parents[2] / "docs" / "bid-envelope.md"


# --- the independent client ----------------------------------------------------------------
# Everything in this section comes from docs/bid-envelope.md and the RFCs it names.


def jcs(value) -> bytes:
    """RFC 8785 for the types a bid uses (section 1): objects, arrays, strings, integers."""
    return _jcs(value).encode("utf-8")


_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                  "\t": "\\t"}  # fmt: skip


def _jcs(value) -> str:
    if isinstance(value, bool | float):
        raise TypeError("the envelope format has no booleans or floats in a bid")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # As ECMAScript's JSON.stringify: the short escapes, other controls as \u00xx in
        # lower case, every other character as itself (so Hangul stays plain UTF-8).
        return '"' + "".join(
            _SHORT_ESCAPES.get(char) or (f"\\u{ord(char):04x}" if ord(char) < 0x20 else char)
            for char in value
        ) + '"'  # fmt: skip
    if isinstance(value, list):
        return "[" + ",".join(_jcs(item) for item in value) + "]"
    if isinstance(value, dict):
        # Sorted by UTF-16 code units: big-endian UTF-16 bytes compare the same way.
        names = sorted(value, key=lambda name: name.encode("utf-16-be"))
        return "{" + ",".join(_jcs(name) + ":" + _jcs(value[name]) for name in names) + "}"
    raise TypeError(type(value).__name__)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# RFC 9180, base mode: DHKEM(X25519, HKDF-SHA256) 0x0020, HKDF-SHA256 0x0001, AES-256-GCM 0x0002.
KEM_SUITE = b"KEM" + (0x0020).to_bytes(2, "big")
HPKE_SUITE = b"HPKE" + b"".join(n.to_bytes(2, "big") for n in (0x0020, 0x0001, 0x0002))
MODE_BASE = b"\x00"
N_SECRET, N_KEY, N_NONCE, N_HASH = 32, 32, 12, 32


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt or bytes(N_HASH), ikm, hashlib.sha256).digest()  # RFC 5869 2.2


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    output, block, counter = b"", b"", 1
    while len(output) < length:  # RFC 5869 2.3
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        output, counter = output + block, counter + 1
    return output[:length]


def labeled_extract(suite: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return hkdf_extract(salt, b"HPKE-v1" + suite + label + ikm)


def labeled_expand(suite: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    return hkdf_expand(prk, length.to_bytes(2, "big") + b"HPKE-v1" + suite + label + info, length)


def _shared_secret(dh: bytes, enc: bytes, recipient_public: bytes) -> bytes:
    """DHKEM ExtractAndExpand, kem_context = enc || pkRm (RFC 9180 4.1)."""
    prk = labeled_extract(KEM_SUITE, b"", b"eae_prk", dh)
    return labeled_expand(KEM_SUITE, prk, b"shared_secret", enc + recipient_public, N_SECRET)


def _key_and_nonce(shared_secret: bytes, info: bytes) -> tuple[bytes, bytes]:
    """KeySchedule for mode_base: no PSK, so psk and psk_id are empty (RFC 9180 5.1)."""
    context = (
        MODE_BASE
        + labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", b"")
        + labeled_extract(HPKE_SUITE, b"", b"info_hash", info)
    )
    secret = labeled_extract(HPKE_SUITE, shared_secret, b"secret", b"")
    return (
        labeled_expand(HPKE_SUITE, secret, b"key", context, N_KEY),
        labeled_expand(HPKE_SUITE, secret, b"base_nonce", context, N_NONCE),
    )


def hpke_seal(
    recipient_public: bytes, info: bytes, plaintext: bytes, ephemeral_key: bytes | None = None
) -> bytes:
    """Single shot, no AAD: enc || ciphertext (section 4). The first (only) message uses
    sequence number 0, so its nonce is the base nonce itself. `ephemeral_key`: only to
    reproduce the page's vector; an envelope always gets a fresh one."""
    ephemeral = (
        X25519PrivateKey.from_private_bytes(ephemeral_key)
        if ephemeral_key
        else X25519PrivateKey.generate()
    )
    enc = ephemeral.public_key().public_bytes_raw()
    dh = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public))
    key, nonce = _key_and_nonce(_shared_secret(dh, enc, recipient_public), info)
    return enc + AESGCM(key).encrypt(nonce, plaintext, None)


def hpke_open(private: bytes, info: bytes, sealed: bytes) -> bytes:
    recipient = X25519PrivateKey.from_private_bytes(private)
    enc, ciphertext = sealed[:32], sealed[32:]
    dh = recipient.exchange(X25519PublicKey.from_public_bytes(enc))
    public = recipient.public_key().public_bytes_raw()
    key, nonce = _key_and_nonce(_shared_secret(dh, enc, public), info)
    return AESGCM(key).decrypt(nonce, ciphertext, None)


def seal_info(tender: str, lot: int, supplier: str) -> bytes:
    """Section 4's `info`: binds the sealed bytes to one tender, lot and supplier."""
    return jcs({"format": "jangteo-bid/1", "lot": lot, "purpose": "jangteo-bid-envelope",
                "supplier": supplier, "tender": tender})  # fmt: skip


def openssl(*args: str, cwd: Path) -> bytes:
    result = subprocess.run([OPENSSL, *args], cwd=cwd, capture_output=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


class Client:
    """A bidder's own program: a key made with openssl on their machine, a certificate the
    platform issues from its request, bids built and signed by the page's recipe."""

    def __init__(self, http, token: str, home: Path):
        self.http, self.home = http, home
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def get(self, path: str):
        response = self.http.get(path, **self.headers)
        assert response.status_code == 200, response.content
        return response.json()

    def post(self, path: str, body: dict, **headers):
        return self.http.post(
            path, json.dumps(body), content_type="application/json", **self.headers, **headers
        )

    def enrol(self, organisation: str) -> None:
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-out", "key.pem", cwd=self.home)  # fmt: skip
        openssl("req", "-new", "-key", "key.pem", "-subj", "/CN=bidder", "-sha256",
                "-out", "request.pem", cwd=self.home)  # fmt: skip
        response = self.post(
            "/api/v1/certificates/",
            {"organisation": organisation, "csr": (self.home / "request.pem").read_text()},
        )
        assert response.status_code == 201, response.content
        (self.home / "cert.pem").write_text(response.json()["certificate"])
        self.organisation = organisation

    def sign(self, content: bytes) -> bytes:
        """Section 2: detached CMS SignedData, SHA-256, signed attributes, certificate in."""
        (self.home / "content").write_bytes(content)
        openssl("cms", "-sign", "-binary", "-md", "sha256", "-outform", "DER", "-nosmimecap",
                "-signer", "cert.pem", "-inkey", "key.pem", "-in", "content",
                "-out", "signature.p7s", cwd=self.home)  # fmt: skip
        return (self.home / "signature.p7s").read_bytes()

    def envelope(self, tender: dict, *, lot: int, amount: int, picks: list, documents: dict):
        """(bid.json, sealed, outer) for a bid, from the tender as the public API shows it."""
        bid = jcs(
            {
                "format": "jangteo-bid/1",
                "tender": tender["ocid"],
                "lot": lot,
                "supplier": self.organisation,
                "amount": amount,
                "currency": "KRW",
                "reserve_picks": sorted(picks),
                "documents": [
                    {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                    for name, data in documents.items()
                ],
                "nonce": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("="),
            }
        )
        contents = jcs(
            {
                "bid": b64(bid),
                "signature": b64(self.sign(bid)),
                "documents": [{"name": n, "content": b64(d)} for n, d in documents.items()],
            }
        )
        public = bytes.fromhex(tender["sealing"]["opening_public_key"])
        sealed = hpke_seal(public, seal_info(tender["ocid"], lot, self.organisation), contents)
        assert len(sealed) == 32 + len(contents) + 16
        return bid, sealed, self.sign(sealed)


# --- the client proven on its own against the page's vector ---------------------------------


@pytest.fixture(scope="module")
def vector() -> dict[str, str]:
    return dict(re.findall(r"<!-- vector:(\S+) -->\n```[a-z]*\n(.*?)\n```", DOC.read_text(), re.S))


def test_the_independent_canonical_json_escapes_and_sorts_as_rfc_8785_says():
    assert (
        jcs({"b": '\u0001\n"\\한', "a": [10, 2]})
        == '{"a":[10,2],"b":"\\u0001\\n\\"\\\\한"}'.encode()
    )
    # U+1F600 is the surrogate pair D83D DE00: before U+E000 in UTF-16, after it by code point
    assert jcs({"\ue000": 1, "\U0001f600": 2}) == '{"\U0001f600":2,"\ue000":1}'.encode()


def test_the_independent_hpke_opens_the_vector_and_rebuilds_its_bid_byte_for_byte(vector):
    private = bytes.fromhex(vector["opening-private-key.hex"])
    public = X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()
    assert public.hex() == vector["opening-public-key.hex"]
    info = seal_info("ocds-jngt01-2026000123", 1, "1018163364")
    assert info == vector["info"].encode()
    sealed = base64.b64decode("".join(vector["sealed.b64"].split()))
    contents = hpke_open(private, info, sealed)
    assert hashlib.sha256(contents).hexdigest() == vector["contents.sha256"]
    opened = json.loads(contents)
    assert jcs(opened) == contents  # the vector's contents are canonical by our rules too
    assert base64.b64decode(opened["bid"]) == vector["bid.json"].encode()
    assert base64.b64decode(opened["signature"]) == base64.b64decode(
        "".join(vector["inner.p7s.b64"].split())
    )
    # bid.json rebuilt from the values the page shows and the document the envelope holds
    (document,) = opened["documents"]
    content = base64.b64decode(document["content"])
    bid = {
        "format": "jangteo-bid/1", "tender": "ocds-jngt01-2026000123", "lot": 1,
        "supplier": "1018163364", "amount": 98765000, "currency": "KRW",
        "reserve_picks": [3, 11],
        "documents": [{"name": document["name"], "sha256": hashlib.sha256(content).hexdigest(),
                       "size": len(content)}],
        "nonce": "dGVzdC12ZWN0b3Itbm9uY2UtMzItYnl0ZXMtbG9uZyE",
    }  # fmt: skip
    assert jcs(bid) == vector["bid.json"].encode()
    # check 6: our own sealing to the published key opens with the vector's private key
    assert hpke_open(private, info, hpke_seal(public, info, b"my contents")) == b"my contents"
    with pytest.raises(InvalidTag):  # the info binds the envelope to its lot
        hpke_open(private, info.replace(b'"lot":1', b'"lot":2'), sealed)


def test_the_independent_hpke_seals_the_vector_contents_byte_for_byte(vector):
    private = bytes.fromhex(vector["opening-private-key.hex"])
    public = bytes.fromhex(vector["opening-public-key.hex"])
    info = vector["info"].encode()
    sealed = base64.b64decode("".join(vector["sealed.b64"].split()))
    contents = hpke_open(private, info, sealed)
    ephemeral = bytes.fromhex(vector["ephemeral-private-key.hex"])
    skE = X25519PrivateKey.from_private_bytes(ephemeral)  # noqa: N806 - RFC 9180's name
    enc = skE.public_key().public_bytes_raw()
    assert enc.hex() == vector["hpke-enc.hex"] == sealed[:32].hex()
    dh = skE.exchange(X25519PublicKey.from_public_bytes(public))
    shared_secret = _shared_secret(dh, enc, public)
    assert shared_secret.hex() == vector["hpke-shared-secret.hex"]
    key, base_nonce = _key_and_nonce(shared_secret, info)
    assert (key.hex(), base_nonce.hex()) == (vector["hpke-key.hex"], vector["hpke-base-nonce.hex"])
    assert hpke_seal(public, info, contents, ephemeral_key=ephemeral) == sealed


# --- the client against the platform --------------------------------------------------------


@pytest.fixture
def bidding_open(published, qualification_review, supplier_a, bidder_a, pki):
    """A qualification-review tender (two reserve picks) company A registered for, and the
    clock inside its bid window."""
    from bidding.services import tender_register

    tender = published(procedure=qualification_review)
    tender_register(tender=tender, supplier=supplier_a, actor=bidder_a)
    with time_machine.travel(tender.bid_open_at + timedelta(hours=1), tick=False) as traveller:
        tender.travel = traveller
        yield tender


@pytest.mark.django_db
def test_a_client_written_from_the_page_alone_bids_over_http_and_its_bid_is_opened(
    client, bidding_open, bidder_a, company_a, openers, tmp_path
):
    from django.core.files.storage import default_storage

    from accounts.tokens import api_token_create
    from bidding.models import Bid, BidStatus
    from bidding.opening import opening_share_enter, openings_resume

    # given a bidder with nothing but a token, this client and the page
    bidder = Client(client, api_token_create(user=bidder_a, name="own client")[1], tmp_path)
    bidder.enrol(company_a.code)
    tender = bidder.get(f"/api/v1/tenders/{bidding_open.pk}/")
    documents = {"가격산출내역서.txt": "공급가액 87,654,321원\n".encode()}
    bid, sealed, outer = bidder.envelope(
        tender, lot=1, amount=87_654_321, picks=[12, 4], documents=documents
    )

    # when it submits
    response = bidder.post(
        f"/api/v1/tenders/{tender['id']}/lots/1/bids",
        {"envelope": b64(sealed), "signature": b64(outer)},
        HTTP_IDEMPOTENCY_KEY=secrets.token_urlsafe(16),
    )

    # then the platform takes it and signs a receipt for exactly these bytes
    assert response.status_code == 201, response.content
    receipt = response.json()["receipts"][0]
    assert receipt["receipt"]["envelope_sha256"] == hashlib.sha256(sealed).hexdigest()
    assert receipt["receipt"]["envelope_size"] == len(sealed)
    assert (receipt["receipt"]["tender"], receipt["receipt"]["lot"]) == (tender["ocid"], 1)
    assert receipt["receipt"]["supplier"] == company_a.code
    # and the receipt and its time-stamp check offline with openssl, as section 9 says
    _receipt_verifies_with_openssl(client, bidder, receipt["number"], tmp_path)

    # when the officers open the bids after the deadline
    shares = [opener.shares()[bidding_open.ocid] for opener in openers[:2]]
    bidding_open.travel.move_to(bidding_open.bid_close_at + timedelta(minutes=1))
    for opener, share in zip(openers[:2], shares, strict=True):
        opening_share_enter(tender=bidding_open, actor=opener.user, share=share)
    openings_resume()

    # then the bid is opened with what the client sealed, documents included
    stored = Bid.objects.get(pk=response.json()["id"])
    assert stored.status == BidStatus.OPENED, stored.rejection_reason
    assert (stored.amount, stored.reserve_picks) == (87_654_321, [4, 12])
    ((name, content),) = documents.items()
    (document,) = stored.documents
    assert (document["name"], document["size"]) == (name, len(content))
    assert document["sha256"] == hashlib.sha256(content).hexdigest()
    with default_storage.open(document["path"]) as kept:
        assert kept.read() == content
    # and the public results say so, and the published key opens the envelope to our bid
    opening = bidder.get(f"/api/v1/tenders/{tender['id']}/opening/")
    (result,) = opening["results"]
    assert (result["status"], result["amount"], result["reserve_picks"]) == (
        "opened",
        87_654_321,
        [4, 12],
    )
    private = bytes.fromhex(opening["private_key"])
    info = seal_info(tender["ocid"], 1, company_a.code)
    assert base64.b64decode(json.loads(hpke_open(private, info, sealed))["bid"]) == bid


def _receipt_verifies_with_openssl(http, bidder: Client, number: str, workdir: Path) -> None:
    bundle = json.loads(bidder.http.get(f"/api/v1/receipts/{number}/", **bidder.headers).content)
    for role in ("root", "issuing"):
        (workdir / f"{role}.pem").write_bytes(http.get(f"/pki/{role}.pem").content)
    for name, field in (
        ("body.json", "body"),
        ("body.p7s", "signature"),
        ("body.tst", "timestamp"),
    ):
        (workdir / name).write_bytes(base64.b64decode(bundle[field]))
    openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", "body.p7s",
            "-content", "body.json", "-CAfile", "root.pem", "-purpose", "any",
            "-out", "/dev/null", cwd=workdir)  # fmt: skip
    openssl("ts", "-verify", "-data", "body.json", "-in", "body.tst", "-token_in",
            "-CAfile", "root.pem", "-untrusted", "issuing.pem", cwd=workdir)  # fmt: skip
