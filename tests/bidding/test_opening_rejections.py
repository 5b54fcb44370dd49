"""Every reason the opening rejects an envelope that opens (docs/bid-envelope.md, section 7):
bid.json naming another tender, lot or supplier (`mismatch`), an inner signature that does
not hold (`signature`), documents that are not the ones the signed bid lists (`documents`),
and each rule of sections 1 and 3 the contents or bid.json break (`format_<rule>`).

Every envelope is made as a bidder's client makes it (bidding.envelope, the command-line
client's detached_signature), sealed to the tender's published key with the right `info` for
the lot it is sent to, so it unseals; it is submitted through the real submission service and
opened by the real ceremony with the officers' shares. Each test puts many bad envelopes,
one per company and lot, beside one good bid in a single tender: one bad envelope must not
spoil the opening of the others, and one opening per test keeps the file fast.
"""

import base64
import hashlib
import json
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from itertools import product

import pytest
import time_machine
from asn1crypto import algos, cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.serialization import pkcs7

from accounts.models import Organisation, OrganisationKind, Role
from bidding import envelope
from bidding.models import Bid, BidStatus, OpeningKey
from bidding.opening import opening_share_enter, openings_resume
from bidding.services import tender_register
from bidding.submission import bid_submit
from jangteo_client.common import detached_signature
from procurement.models import TenderStatus
from suppliers.brn import brn_check_digit
from tests.conftest import _person, _supplier

from .sealing import Bidder, bidder_make

pytestmark = pytest.mark.django_db

GOOD_AMOUNT = 91_250_000
GOOD_DOCUMENT = ("가격산출내역서.txt", "합계 91,250,000원\n".encode())


# --- the tender, its bidders and their places --------------------------------------------


@dataclass
class Slot:
    """One company's place in one lot: it holds one current envelope."""

    tender: object
    bidder: Bidder
    lot: int

    def fields(self, **changes) -> dict:
        """A valid bid.json value for this place, with members changed (or, set to MISSING,
        removed). Insertion order is not the canonical order, on purpose."""
        value = {
            "format": envelope.FORMAT,
            "tender": self.tender.ocid,
            "lot": self.lot,
            "supplier": self.bidder.brn,
            "amount": 88_000_000,
            "currency": "KRW",
            "reserve_picks": [],
            "documents": [],
            "nonce": envelope.nonce_new(),
        }
        value.update(changes)
        return {key: item for key, item in value.items() if item is not MISSING}

    def sign(self, content: bytes) -> bytes:
        return detached_signature(self.bidder.key, self.bidder.certificate, content)

    def contents(self, bid: bytes, documents=()) -> bytes:
        """contents with a valid inner signature over exactly `bid`."""
        return envelope.contents_pack(bid, self.sign(bid), list(documents))

    def seal(self, contents: bytes) -> bytes:
        """Sealed to the tender's key with the `info` of this tender, lot and company."""
        public_key = X25519PublicKey.from_public_bytes(
            bytes.fromhex(self.tender.opening_public_key)
        )
        info = envelope.seal_info(tender=self.tender.ocid, lot=self.lot, supplier=self.bidder.brn)
        return envelope.seal(contents, public_key, info)

    def submit(self, contents: bytes) -> Bid:
        sealed = self.seal(contents)
        return bid_submit(
            tender_id=self.tender.pk,
            lot_number=self.lot,
            sealed=sealed,
            signature=self.sign(sealed),
            actor=self.bidder.user,
        ).bid


MISSING = object()


@dataclass
class Room:
    """A tender in its bid window, the companies registered for it and their free places."""

    tender: object
    bidders: list[Bidder]
    slots: object  # iterator of Slot

    def place(self) -> Slot:
        return next(self.slots)


_companies = iter(range(1, 10_000))


def company_bidder() -> Bidder:
    """A new verified company (valid business registration number), its bidder and the
    bidder's certificate from the platform's CA."""
    n = next(_companies)
    first_nine = f"7{n:05d}81{n % 10}"
    organisation = Organisation.objects.create(
        kind=OrganisationKind.COMPANY,
        name=f"입찰회사 {n}",
        code=first_nine + str(brn_check_digit(first_nine)),
    )
    user = _person(f"rejection_bidder_{n}", organisation, Role.BIDDER)
    return bidder_make(user, _supplier(organisation))


@pytest.fixture
def room(pki, published, openers):
    """make(places, lots=…, companies=…) -> a Room: a published tender of `lots` lots with
    enough registered companies (at least `companies`) for `places` envelopes, the clock an
    hour into its bid window."""
    with ExitStack() as stack:

        def make(places: int, *, lots: int = 1, companies: int = 1) -> Room:
            tender = published(lots=lots)
            bidders = [company_bidder() for _ in range(max(companies, -(-places // lots)))]
            for bidder in bidders:
                tender_register(tender=tender, supplier=bidder.supplier, actor=bidder.user)
            tender.travel = stack.enter_context(
                time_machine.travel(tender.bid_open_at + timedelta(hours=1), tick=False)
            )
            slots = (
                Slot(tender, bidder, lot) for lot, bidder in product(range(1, lots + 1), bidders)
            )
            return Room(tender, bidders, slots)

        yield make


def good_bid(room: Room) -> Bid:
    """The valid bid beside the bad ones, with a document attached."""
    slot = room.place()
    bid = envelope.bid_json(
        tender=slot.tender.ocid,
        lot=slot.lot,
        supplier=slot.bidder.brn,
        amount=GOOD_AMOUNT,
        documents=[GOOD_DOCUMENT],
    )
    return slot.submit(slot.contents(bid, [GOOD_DOCUMENT]))


def open_tender(client, tender, openers) -> dict[int, dict]:
    """Two of the three officers enter their shares after the deadline; the runner opens
    every envelope. Returns the published results (GET …/opening/) by bid id."""
    shares = [opener.shares()[tender.ocid] for opener in openers[:2]]
    tender.travel.move_to(tender.bid_close_at + timedelta(minutes=1))
    for opener, share in zip(openers[:2], shares, strict=True):
        opening_share_enter(tender=tender, actor=opener.user, share=share)
    assert openings_resume() == 1
    tender.refresh_from_db()
    assert tender.status == TenderStatus.EVALUATION
    state = client.get(f"/api/v1/tenders/{tender.pk}/opening/").json()
    assert state["private_key"]
    return {result["id"]: result for result in state["results"]}


def outcome(bid: Bid, results: dict[int, dict]) -> tuple:
    """What the bid became, as stored and as published."""
    bid.refresh_from_db()
    public = results[bid.pk]
    return (
        bid.status,
        bid.rejection_code,
        bid.amount,
        bool(bid.rejection_reason),
        public["status"],
        public["rejection_code"],
        public["amount"],
        bool(public["rejection_reason"]),
    )


def rejected_as(code: str) -> tuple:
    return (BidStatus.REJECTED, code, None, True, "rejected", code, None, True)


def assert_outcomes(bad: dict[str, tuple[Bid, str]], good: Bid, results: dict) -> None:
    """Every bad bid rejected with its code, stored and published; the good one opened."""
    assert {name: outcome(bid, results) for name, (bid, _) in bad.items()} == {
        name: rejected_as(code) for name, (_, code) in bad.items()
    }
    assert outcome(good, results) == (
        BidStatus.OPENED, "", GOOD_AMOUNT, False, "opened", "", GOOD_AMOUNT, False
    )  # fmt: skip
    assert len(results) == len(bad) + 1


def submit_cases(room: Room, cases: dict[str, tuple[str, Callable[[Slot], bytes]]]):
    """Submit each case's contents from a place of its own; {name: (bid, expected code)}."""
    submitted = {}
    for name, (code, make) in cases.items():
        slot = room.place()
        submitted[name] = (slot.submit(make(slot)), code)
    return submitted


# --- mismatch: bid.json names another tender, lot or supplier ------------------------------


@pytest.mark.parametrize("field", ["tender", "lot", "supplier"])
def test_a_bid_naming_another_tender_lot_or_supplier_than_it_was_sealed_for_is_a_mismatch(
    field, room, published, openers, client
):
    here = room(2, lots=2, companies=2)
    good = good_bid(here)
    slot = here.place()  # the other company, lot 1
    assert (slot.lot, slot.bidder) == (1, here.bidders[1])
    elsewhere = {
        "tender": published().ocid,  # a real tender, just not this one
        "lot": 2,  # a lot of this tender, not the one it is sent to
        "supplier": here.bidders[0].brn,  # the competitor, registered for the tender
    }[field]
    bid = envelope.canonical_json(slot.fields(**{field: elsewhere}))
    assert envelope.bid_parse(bid)  # a well-formed bid, signed by its sender
    mismatched = slot.submit(slot.contents(bid))
    results = open_tender(client, here.tender, openers)
    assert_outcomes({field: (mismatched, "mismatch")}, good, results)


# --- signature: the inner signature does not hold under a correct seal --------------------


def _signed_over_another_bid(slot: Slot) -> bytes:
    """The client signed one amount and sent another."""
    bid = envelope.canonical_json(slot.fields(amount=70_000_000))
    signed = envelope.canonical_json(slot.fields(amount=77_000_000))
    return envelope.contents_pack(bid, slot.sign(signed))


def _signature_value_altered(slot: Slot) -> bytes:
    """A well-formed CMS whose ECDSA value (r) is off by one bit."""
    bid = envelope.canonical_json(slot.fields())
    info = cms.ContentInfo.load(slot.sign(bid))
    signer_info = info["content"]["signer_infos"][0]
    value = algos.DSASignature.load(signer_info["signature"].native)
    value["r"] = value["r"].native ^ 1
    signer_info["signature"] = value.dump()
    return envelope.contents_pack(bid, info.dump())


def _raw_ecdsa_not_cms(slot: Slot) -> bytes:
    bid = envelope.canonical_json(slot.fields())
    return envelope.contents_pack(bid, slot.bidder.key.sign(bid, ec.ECDSA(hashes.SHA256())))


def _pkcs7(slot: Slot, content: bytes, *options) -> bytes:
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(content)
        .add_signer(slot.bidder.certificate, slot.bidder.key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary, *options])
    )


def _attached_not_detached(slot: Slot) -> bytes:
    bid = envelope.canonical_json(slot.fields())
    return envelope.contents_pack(bid, _pkcs7(slot, bid))


def _certificate_not_embedded(slot: Slot) -> bytes:
    bid = envelope.canonical_json(slot.fields())
    signature = _pkcs7(slot, bid, pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.NoCerts)
    return envelope.contents_pack(bid, signature)


def _certificate_with_a_broken_ca_signature(slot: Slot) -> bytes:
    """The bidder's own key and certificate, one bit of the CA's signature on the
    certificate flipped: the CMS holds, the certificate is not one the platform issued."""
    der = bytearray(slot.bidder.certificate.public_bytes(serialization.Encoding.DER))
    der[-1] ^= 1
    forged = x509.load_der_x509_certificate(bytes(der))
    bid = envelope.canonical_json(slot.fields())
    return envelope.contents_pack(bid, detached_signature(slot.bidder.key, forged, bid))


SIGNATURE_CASES = {
    "signed over another bid.json": ("signature", _signed_over_another_bid),
    "signature value altered": ("signature", _signature_value_altered),
    "raw ECDSA signature, not CMS": ("signature", _raw_ecdsa_not_cms),
    "CMS with the content attached": ("signature", _attached_not_detached),
    "signer's certificate not embedded": ("signature", _certificate_not_embedded),
    # The signature itself holds; the certificate is no longer the one the platform holds
    # for the company (its fingerprint changed), which is the `signer` rule.
    "certificate whose CA signature does not verify": (
        "signer",
        _certificate_with_a_broken_ca_signature,
    ),
}


def test_an_inner_signature_that_does_not_hold_is_rejected_though_the_seal_opens(
    room, openers, client
):
    here = room(len(SIGNATURE_CASES) + 1, lots=2)
    good = good_bid(here)
    bad = submit_cases(here, SIGNATURE_CASES)
    results = open_tender(client, here.tender, openers)
    assert_outcomes(bad, good, results)


# --- documents: listed in the signed bid, attached in the contents -----------------------


QUOTE = ("견적서.pdf", b"%PDF-1.7 quote 88,000,000 KRW")
SPEC = ("규격서.pdf", b"%PDF-1.7 technical specification")


def _listing(slot: Slot, listed, attached, **changes) -> bytes:
    """bid.json listing `listed` (name, content) pairs, contents attaching `attached`."""
    refs = [
        {"name": name, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
        for name, content in listed
    ]
    bid = envelope.canonical_json(slot.fields(documents=refs, **changes))
    return slot.contents(bid, attached)


def _document_changed(slot: Slot) -> bytes:
    changed = (QUOTE[0], QUOTE[1].replace(b"88", b"99"))
    assert len(changed[1]) == len(QUOTE[1])
    return _listing(slot, [QUOTE], [changed])


def _document_size_wrong(slot: Slot) -> bytes:
    ref = {"name": QUOTE[0], "sha256": hashlib.sha256(QUOTE[1]).hexdigest(), "size": 1}
    bid = envelope.canonical_json(slot.fields(documents=[ref]))
    return slot.contents(bid, [QUOTE])


DOCUMENT_CASES = {
    "attached document differs from its hash": ("documents", _document_changed),
    "listed size differs from the document": ("documents", _document_size_wrong),
    "listed document missing": ("documents", lambda slot: _listing(slot, [QUOTE, SPEC], [QUOTE])),
    "document attached but not listed": (
        "documents",
        lambda slot: _listing(slot, [QUOTE], [QUOTE, SPEC]),
    ),
    "no document attached, one listed": ("documents", lambda slot: _listing(slot, [QUOTE], [])),
    "document attached under another name": (
        "documents",
        lambda slot: _listing(slot, [QUOTE], [("견적서 (1).pdf", QUOTE[1])]),
    ),
}


def test_documents_that_are_not_the_ones_the_signed_bid_lists_are_rejected(room, openers, client):
    here = room(len(DOCUMENT_CASES) + 1, lots=2)
    good = good_bid(here)
    bad = submit_cases(here, DOCUMENT_CASES)
    results = open_tender(client, here.tender, openers)
    assert_outcomes(bad, good, results)
    good.refresh_from_db()
    assert [doc["name"] for doc in good.documents] == [GOOD_DOCUMENT[0]]


# --- format_<rule>: bid.json breaks a rule of section 1 ----------------------------------


def jcs(value) -> bytes:
    return envelope.canonical_json(value)


def _raw(slot: Slot, old: bytes, new: bytes, **changes) -> bytes:
    """Canonical bid.json with bytes replaced (for what canonical_json refuses to write)."""
    bid = jcs(slot.fields(**changes))
    assert old in bid
    return bid.replace(old, new, 1)


def _document(name="견적서.pdf", sha256="ab" * 32, size=10, **extra) -> dict:
    return {"name": name, "sha256": sha256, "size": size, **extra}


def _with_hangul_escaped(slot: Slot) -> bytes:
    value = slot.fields(documents=[_document()])
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _supplier_with_dashes(slot: Slot) -> bytes:
    brn = slot.bidder.brn
    return jcs(slot.fields(supplier=f"{brn[:3]}-{brn[3:5]}-{brn[5:]}"))


def _bid_case(make_bid: Callable[[Slot], bytes]) -> Callable[[Slot], bytes]:
    """contents carrying the bid.json `make_bid` writes, with a valid signature over it."""
    return lambda slot: slot.contents(make_bid(slot))


def _fields_case(**changes) -> Callable[[Slot], bytes]:
    return _bid_case(lambda slot: jcs(slot.fields(**changes)))


BID_JSON_CASES = {
    # format_json: not a JSON object
    "bid.json not JSON": ("format_json", _bid_case(lambda slot: b"amount=88000000&currency=KRW")),
    "bid.json not UTF-8": ("format_json", _bid_case(lambda slot: _raw(slot, b"KRW", b"KR\xff"))),
    "bid.json an array": ("format_json", _bid_case(lambda slot: jcs([slot.fields()]))),
    # format_fields: members missing, extra, of the wrong type, or out of their range
    "nonce missing": ("format_fields", _fields_case(nonce=MISSING)),
    "format missing": ("format_fields", _fields_case(format=MISSING)),
    "an extra member": ("format_fields", _fields_case(note="부가세 포함")),
    "lot a string": ("format_fields", _bid_case(lambda slot: jcs(slot.fields(lot=str(slot.lot))))),
    "lot a boolean": ("format_fields", _fields_case(lot=True)),
    "amount a string": ("format_fields", _fields_case(amount="88000000")),
    "amount null": ("format_fields", _fields_case(amount=None)),
    "reserve_picks an object": ("format_fields", _fields_case(reserve_picks={})),
    "documents a string": ("format_fields", _fields_case(documents="견적서.pdf")),
    "nonce a number": ("format_fields", _fields_case(nonce=12345678)),
    "document size a string": ("format_fields", _fields_case(documents=[_document(size="10")])),
    "tender empty": ("format_fields", _fields_case(tender="")),
    "tender longer than 64": ("format_fields", _fields_case(tender="ocds-jngt01-" + "9" * 60)),
    "lot 0": ("format_fields", _fields_case(lot=0)),
    "supplier with dashes": ("format_fields", _bid_case(_supplier_with_dashes)),
    "currency USD": ("format_fields", _fields_case(currency="USD")),
    # format_format
    "format version 2": ("format_format", _fields_case(format="jangteo-bid/2")),
    # format_canonical: the right value, not written exactly as RFC 8785 writes it
    "pretty-printed": (
        "format_canonical",
        _bid_case(lambda slot: json.dumps(slot.fields(), indent=2, sort_keys=True).encode()),
    ),
    "members unsorted": (
        "format_canonical",
        _bid_case(lambda slot: json.dumps(slot.fields(), separators=(",", ":")).encode()),
    ),
    "Hangul escaped as \\u": ("format_canonical", _bid_case(_with_hangul_escaped)),
    "trailing newline": ("format_canonical", _bid_case(lambda slot: jcs(slot.fields()) + b"\n")),
    "a duplicated member": (
        "format_canonical",
        _bid_case(lambda slot: _raw(slot, b'"amount":', b'"amount":1,"amount":')),
    ),
    # format_number, format_type, format_string: values RFC 8785 cannot write
    "amount 2^53": (
        "format_number",
        _bid_case(lambda slot: _raw(slot, b'"amount":88000000', b'"amount":9007199254740992')),
    ),
    "amount a float": (
        "format_type",
        _bid_case(lambda slot: _raw(slot, b'"amount":88000000', b'"amount":88000000.0')),
    ),
    "a lone surrogate": (
        "format_string",
        _bid_case(lambda slot: _raw(slot, b'"nonce":"', b'"nonce":"\\ud800')),
    ),
    # format_amount
    "amount 0": ("format_amount", _fields_case(amount=0)),
    "amount negative": ("format_amount", _fields_case(amount=-88_000_000)),
    # format_picks
    "picks unsorted": ("format_picks", _fields_case(reserve_picks=[11, 3])),
    "picks repeated": ("format_picks", _fields_case(reserve_picks=[3, 3])),
    "picks strings": ("format_picks", _fields_case(reserve_picks=["3", "11"])),
    # format_documents
    "document a string": ("format_documents", _fields_case(documents=["견적서.pdf"])),
    "document without size": (
        "format_documents",
        _fields_case(documents=[{"name": "견적서.pdf", "sha256": "ab" * 32}]),
    ),
    "document with an extra member": (
        "format_documents",
        _fields_case(documents=[_document(content="")]),
    ),
    "document name empty": ("format_documents", _fields_case(documents=[_document(name="")])),
    "document name ..": ("format_documents", _fields_case(documents=[_document(name="..")])),
    "document name with a NUL": (
        "format_documents",
        _fields_case(documents=[_document(name="견적서\x00.pdf")]),
    ),
    "document name with a newline": (
        "format_documents",
        _fields_case(documents=[_document(name="견적서\n.pdf")]),
    ),
    "document name with a slash": (
        "format_documents",
        _fields_case(documents=[_document(name="입찰/견적서.pdf")]),
    ),
    "document name with a backslash": (
        "format_documents",
        _fields_case(documents=[_document(name="C:\\견적서.pdf")]),
    ),
    "document name of 201 characters": (
        "format_documents",
        _fields_case(documents=[_document(name="가" * 197 + ".pdf")]),
    ),
    "document hash upper-case": (
        "format_documents",
        _fields_case(documents=[_document(sha256="AB" * 32)]),
    ),
    "document hash too short": (
        "format_documents",
        _fields_case(documents=[_document(sha256="ab")]),
    ),
    "document size negative": ("format_documents", _fields_case(documents=[_document(size=-1)])),
    "document names repeated": (
        "format_documents",
        _fields_case(documents=[_document(), _document(sha256="cd" * 32)]),
    ),
    # format_nonce
    "nonce empty": ("format_nonce", _fields_case(nonce="")),
    "nonce of 15 bytes": (
        "format_nonce",
        _fields_case(nonce=base64.urlsafe_b64encode(bytes(range(15))).decode()),
    ),
    "nonce not base64url": ("format_nonce", _fields_case(nonce="A" * 21)),
}


def test_a_bid_json_that_breaks_a_rule_of_the_format_is_rejected_with_that_rule(
    room, openers, client
):
    here = room(len(BID_JSON_CASES) + 1, lots=6)
    good = good_bid(here)
    bad = submit_cases(here, BID_JSON_CASES)
    results = open_tender(client, here.tender, openers)
    assert_outcomes(bad, good, results)


# --- format_<rule>: contents break a rule of section 3 -----------------------------------


def _members(slot: Slot, **changes) -> bytes:
    """contents as canonical JSON of its members (valid ones, changed or removed)."""
    bid = jcs(slot.fields())
    value = {"bid": envelope.b64(bid), "signature": envelope.b64(slot.sign(bid)), "documents": []}
    value.update(changes)
    return jcs({key: item for key, item in value.items() if item is not MISSING})


def _mime_lines(data: bytes) -> str:
    """base64 as `openssl base64` writes it: lines of 64 characters."""
    text = envelope.b64(data)
    return "\n".join(text[n : n + 64] for n in range(0, len(text), 64))


def _signature_in_lines(slot: Slot) -> bytes:
    bid = jcs(slot.fields())
    return _members(slot, bid=envelope.b64(bid), signature=_mime_lines(slot.sign(bid)))


def _bid_as_text(slot: Slot) -> bytes:
    bid = jcs(slot.fields())
    return _members(slot, bid=bid.decode(), signature=envelope.b64(slot.sign(bid)))


URLSAFE = base64.urlsafe_b64encode(b"\xfb\xff\xfe" * 8).decode()
assert "-" in URLSAFE or "_" in URLSAFE

CONTENTS_CASES = {
    # format_contents
    "bid.json alone, not wrapped": ("format_contents", lambda slot: jcs(slot.fields())),
    "a zip archive": ("format_contents", lambda slot: b"PK\x03\x04\x14\x00\x00\x00bid.json"),
    "not UTF-8": ("format_contents", lambda slot: b'{"bid":"\xc3\x28"}'),
    "a JSON array": ("format_contents", lambda slot: b"[]"),
    "JSON null": ("format_contents", lambda slot: b"null"),
    "documents missing": ("format_contents", lambda slot: _members(slot, documents=MISSING)),
    "signature missing": ("format_contents", lambda slot: _members(slot, signature=MISSING)),
    "an extra member": ("format_contents", lambda slot: _members(slot, certificate="")),
    "documents an object": ("format_contents", lambda slot: _members(slot, documents={})),
    "a document a string": ("format_contents", lambda slot: _members(slot, documents=["a"])),
    "a document with its hash instead of its content": (
        "format_contents",
        lambda slot: _members(slot, documents=[{"name": "a", "sha256": "ab" * 32}]),
    ),
    # format_base64
    "bid as JSON text": ("format_base64", _bid_as_text),
    "bid null": ("format_base64", lambda slot: _members(slot, bid=None)),
    "signature in lines of 64": ("format_base64", _signature_in_lines),
    "signature a list of numbers": ("format_base64", lambda slot: _members(slot, signature=[48])),
    "document content base64url": (
        "format_base64",
        lambda slot: _members(slot, documents=[{"name": "a", "content": URLSAFE}]),
    ),
    "document content without padding": (
        "format_base64",
        lambda slot: _members(slot, documents=[{"name": "a", "content": "YWJjZA"}]),
    ),
}


def test_contents_that_break_a_rule_of_the_format_are_rejected_with_that_rule(
    room, openers, client
):
    here = room(len(CONTENTS_CASES) + 1, lots=3)
    good = good_bid(here)
    bad = submit_cases(here, CONTENTS_CASES)
    results = open_tender(client, here.tender, openers)
    assert_outcomes(bad, good, results)


# --- rules of sections 1 to 3 checked past the JSON's shape ------------------------------


def _contents_pretty(slot: Slot) -> bytes:
    bid = jcs(slot.fields())
    value = {"signature": envelope.b64(slot.sign(bid)), "bid": envelope.b64(bid), "documents": []}
    return json.dumps(value, indent=1).encode()


def _document_twice(slot: Slot) -> bytes:
    """The document listed once, attached twice under its name: a first, different file
    and then the listed one."""
    return _listing(slot, [QUOTE], [(QUOTE[0], b"another file entirely"), QUOTE])


def _document_name_a_number(slot: Slot) -> bytes:
    bid = jcs(
        slot.fields(
            documents=[_document(name="1", sha256=hashlib.sha256(b"x").hexdigest(), size=1)]
        )
    )
    value = {
        "bid": envelope.b64(bid),
        "signature": envelope.b64(slot.sign(bid)),
        "documents": [{"name": 1, "content": envelope.b64(b"x")}],
    }
    return jcs(value)


def _no_signed_attributes(slot: Slot) -> bytes:
    bid = jcs(slot.fields())
    signature = _pkcs7(
        slot, bid, pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.NoAttributes
    )
    return envelope.contents_pack(bid, signature)


STRICT_CASES = {
    # section 3: contents is canonical JSON
    "contents pretty-printed, members unsorted": ("format_canonical", _contents_pretty),
    # one name, one document: a second file under the listed name is not quietly taken
    "one listed document attached twice, the first different": (
        "format_contents",
        _document_twice,
    ),
    "document name a number in contents": ("format_contents", _document_name_a_number),
    # section 1: the nonce is base64url without padding
    "nonce with characters outside base64url": (
        "format_nonce",
        _fields_case(nonce="!*~." + envelope.nonce_new()),
    ),
    "nonce with padding": ("format_nonce", _fields_case(nonce=envelope.nonce_new() + "==")),
    # section 2: signed attributes present
    "inner signature without signed attributes": ("signature", _no_signed_attributes),
}


def test_contents_nonces_and_signatures_that_break_the_stricter_rules_are_rejected(
    room, openers, client
):
    here = room(len(STRICT_CASES) + 1, lots=2)
    good = good_bid(here)
    bad = submit_cases(here, STRICT_CASES)
    results = open_tender(client, here.tender, openers)
    assert_outcomes(bad, good, results)


def test_a_document_name_longer_than_a_file_system_takes_does_not_stop_the_opening(
    room, openers, client
):
    """Documents are stored under names of the platform's: a name section 1 allows that a
    file system would refuse (200 characters, 592 bytes in UTF-8) opens like any other."""
    here = room(2)
    good = good_bid(here)
    slot = here.place()
    name = "가" * 196 + ".pdf"
    document = (name, b"%PDF-1.7 quote")
    bid = envelope.bid_json(
        tender=slot.tender.ocid, lot=slot.lot, supplier=slot.bidder.brn, amount=80_000_000,
        documents=[document],
    )  # fmt: skip
    odd = slot.submit(slot.contents(bid, [document]))
    results = open_tender(client, here.tender, openers)
    assert outcome(good, results)[0] == BidStatus.OPENED
    assert outcome(odd, results)[0] == BidStatus.OPENED
    assert odd.documents[0]["name"] == name


def test_a_tender_whose_opening_fails_does_not_hold_up_another_tenders(
    room, openers, client, caplog
):
    broken, sound = room(1), room(1)
    good_bid(broken)
    opened = good_bid(sound)
    sound.tender.travel.move_to(
        max(broken.tender.bid_close_at, sound.tender.bid_close_at) + timedelta(minutes=1)
    )
    for here in (broken, sound):
        for opener in openers[:2]:
            share = opener.shares()[here.tender.ocid]
            opening_share_enter(tender=here.tender, actor=opener.user, share=share)
    # given an opening that fails however it is run: its rebuilt key cannot be read
    OpeningKey.objects.filter(tender=broken.tender).update(private_key=b"\x00" * 31)

    assert openings_resume() == 1

    # then the other tender is opened, and the failure is logged for the operators
    opened.refresh_from_db()
    assert opened.status == BidStatus.OPENED
    broken.tender.refresh_from_db()
    assert broken.tender.status == TenderStatus.OPENING
    assert "will be tried again" in caplog.text
