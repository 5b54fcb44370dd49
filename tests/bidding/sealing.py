"""Building signed, sealed envelopes in tests the way a bidder's client does (the reference
implementation: bidding.envelope), and the bidders who make them."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from bidding import envelope
from bidding.services import tender_register
from esign.services import certificate_issue
from tests.conftest import make_csr
from tests.esign.foreign import sign_detached


@dataclass
class Bidder:
    """A person bidding for a company, with their key and certificate."""

    user: object
    supplier: object
    key: object
    certificate: x509.Certificate

    @property
    def brn(self) -> str:
        return self.supplier.organisation.code

    def sign(self, content: bytes) -> bytes:
        return sign_detached(self.key, self.certificate, content)

    def envelope(self, tender, *, lot: int = 1, amount: int = 95_000_000, picks=(), **kw):
        """(sealed, outer signature) for a bid, with bid.json fields overridable."""
        fields = {
            "tender": tender.ocid,
            "lot": lot,
            "supplier": self.brn,
            "amount": amount,
            "reserve_picks": picks,
            **kw,
        }
        documents = fields.pop("documents", [])
        seal_to = fields.pop("seal_to", None) or (tender.ocid, lot, self.brn)
        bid = envelope.bid_json(**fields, documents=documents)
        contents = envelope.contents_pack(bid, self.sign(bid), documents)
        sealed = envelope.seal(
            contents,
            X25519PublicKey.from_public_bytes(bytes.fromhex(tender.opening_public_key)),
            envelope.seal_info(tender=seal_to[0], lot=seal_to[1], supplier=seal_to[2]),
        )
        return sealed, self.sign(sealed)

    def submit(self, tender, *, lot: int = 1, key: str = "", **kw):
        """Sign, seal and submit a bid as this bidder (bidding.submission.bid_submit)."""
        from bidding.submission import bid_submit

        sealed, signature = self.envelope(tender, lot=lot, **kw)
        return bid_submit(
            tender_id=tender.pk,
            lot_number=lot,
            sealed=sealed,
            signature=signature,
            actor=self.user,
            idempotency_key=key,
        )


def bidder_make(user, supplier) -> Bidder:
    key, csr = make_csr()
    record = certificate_issue(
        holder=user, organisation=supplier.organisation, csr_data=csr, actor=user
    )
    return Bidder(user, supplier, key, x509.load_pem_x509_certificate(record.pem.encode()))


@pytest.fixture
def bidders(pki, bidder_a, supplier_a, bidder_b, supplier_b):
    """Two competing suppliers' bidders with certificates."""
    return bidder_make(bidder_a, supplier_a), bidder_make(bidder_b, supplier_b)


@pytest.fixture
def in_bidding(published, bidders):
    """A published tender both bidders registered for, and the clock inside its bid window
    (an hour after bidding opened). Yields the tender; `travel` moves the clock."""
    tender = published(lots=2)
    for bidder in bidders:
        tender_register(tender=tender, supplier=bidder.supplier, actor=bidder.user)
    with time_machine.travel(tender.bid_open_at + timedelta(hours=1), tick=False) as traveller:
        tender.travel = traveller
        yield tender


@dataclass
class ReadyToStore:
    """A submission read (`submission_read`) and its bid, receipt and audit event made, not
    yet stored: for tests that change what it read before it is written."""

    found: object
    bid: object
    receipt: object
    event: dict

    def store(self, superseding=None) -> bool:
        from bidding import submission_rows as rows

        with rows.submission_scope():
            return rows.bid_store(self.bid, self.receipt, superseding=superseding, event=self.event)


def ready_to_store(tender, bidder, *, number: str, amount: int = 95_000_000) -> ReadyToStore:
    from bidding import submission_rows as rows
    from bidding.models import Bid, Receipt
    from core.audit import sealed_stream
    from esign.authority import fingerprint

    found = rows.submission_read(
        fingerprint=fingerprint(bidder.certificate),
        actor_id=bidder.user.pk,
        tender_id=tender.pk,
        lot_number=1,
        idempotency_key="",
    )
    sealed, signature = bidder.envelope(tender, amount=amount)
    bid = Bid(
        pk=found.bid_id,
        tender=tender,
        lot=found.lot,
        supplier=found.supplier,
        submitted_by=bidder.user,
        certificate=found.certificate,
        sealed=sealed,
        outer_signature=signature,
        sha256=hashlib.sha256(sealed).hexdigest(),
        size=len(sealed),
        received_at=found.now,
    )
    receipt = Receipt(
        number=number, kind="bid", body=b"{}", signature=b"", timestamp=b"",
        issued_at=found.now,
    )  # fmt: skip
    event = {"stream": sealed_stream(tender.ocid), "kind": "bid.submitted", "data": {}}
    return ReadyToStore(found, bid, receipt, event)
