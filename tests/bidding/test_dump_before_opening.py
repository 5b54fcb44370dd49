"""A copy of the database taken before the opening (a backup, a stolen dump, an operator's
curiosity) must tell nothing about any bid: no amount, no pick, no bid.json, in any form.
The dump is a real one of the whole database (pg_dump on PostgreSQL, the SQLite dump
otherwise), taken with the bids committed; the same dump after the opening does show the
amounts, which is what makes the test able to fail."""

import base64
import hashlib
import json
import os
import shutil
import subprocess
from datetime import timedelta

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from django.db import connection

from bidding import envelope
from bidding.models import Bid, BidStatus
from bidding.opening import opening_share_enter, openings_resume
from bidding.services import tender_register
from bidding.submission import bid_submit, bid_withdraw

# pg_dump reads the database from another connection: the bids must really be committed.
pytestmark = pytest.mark.django_db(transaction=True)


def database_dump() -> str:
    """The whole database as SQL text, the way an operator would back it up."""
    if connection.vendor == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            pytest.fail("pg_dump is not installed: this test dumps the PostgreSQL database")
        settings = connection.settings_dict
        result = subprocess.run(
            [pg_dump, "--no-owner", "--host", settings["HOST"], "--port", str(settings["PORT"]),
             "--username", settings["USER"], "--dbname", settings["NAME"]],
            env={**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""},
            capture_output=True, check=False, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
        return result.stdout.decode()
    connection.ensure_connection()
    return "\n".join(connection.connection.iterdump())


class Sealed:
    """One bid as its bidder made it, with every secret a dump could leak."""

    def __init__(self, tender, bidder, *, lot: int, amount: int, picks: list, documents=()):
        self.bidder, self.lot, self.amount, self.picks = bidder, lot, amount, picks
        self.documents = list(documents)
        self.bid_json = envelope.bid_json(
            tender=tender.ocid, lot=lot, supplier=bidder.brn, amount=amount,
            reserve_picks=picks, documents=self.documents,
        )  # fmt: skip
        self.contents = envelope.contents_pack(
            self.bid_json, bidder.sign(self.bid_json), self.documents
        )
        self.sealed = envelope.seal(
            self.contents,
            X25519PublicKey.from_public_bytes(bytes.fromhex(tender.opening_public_key)),
            envelope.seal_info(tender=tender.ocid, lot=lot, supplier=bidder.brn),
        )
        self.nonce = json.loads(self.bid_json)["nonce"]

    def submit(self, tender) -> Bid:
        return bid_submit(
            tender_id=tender.pk,
            lot_number=self.lot,
            sealed=self.sealed,
            signature=self.bidder.sign(self.sealed),
            actor=self.bidder.user,
        ).bid

    def amount_forms(self) -> list[str]:
        """The amount as anything might have written it: plain, grouped as on a page, as it
        sits in bid.json."""
        return [str(self.amount), f"{self.amount:,}", f'"amount":{self.amount}']

    def secret_forms(self) -> list[str]:
        """Everything only the bidder and, after the opening, everyone may know; as text and
        as the hex a dump writes binary columns in."""
        texts = [
            *self.amount_forms(),
            '"reserve_picks":' + json.dumps(self.picks, separators=(",", ":")),
            self.bid_json.decode(),
            base64.b64encode(self.bid_json).decode(),
            self.nonce,
            *(content.decode() for _, content in self.documents),
        ]
        return [*texts, *(text.encode().hex() for text in texts)]


def leaked(dump: str, forms: list[str]) -> list[str]:
    # SQLite writes blobs as X'ABCD', PostgreSQL as \x abcd: compare without case.
    dump = dump.lower()
    return [form for form in forms if form.lower() in dump]


@pytest.fixture
def qualification_tender(published, qualification_review, bidders):
    """A two-lot qualification-review tender (two reserve picks a bid) both bidders are
    registered for, the clock inside its bid window."""
    tender = published(procedure=qualification_review, lots=2)
    for bidder in bidders:
        tender_register(tender=tender, supplier=bidder.supplier, actor=bidder.user)
    with time_machine.travel(tender.bid_open_at + timedelta(hours=1), tick=False) as traveller:
        tender.travel = traveller
        yield tender


def test_a_database_dump_taken_before_the_opening_holds_no_bid_amount(
    qualification_tender, bidders, openers
):
    tender = qualification_tender
    a, b = bidders
    # given bids with amounts no other row could hold by chance, a replaced one and a
    # withdrawn one among them, and a priced document attached to one
    replaced = Sealed(tender, a, lot=1, amount=912_345_678, picks=[6, 8])
    priced = ("가격산출내역서.txt", "공급가액 987,654,321원 (부가세 별도)\n".encode())
    opened = [
        Sealed(tender, a, lot=1, amount=987_654_321, picks=[2, 14], documents=[priced]),
        Sealed(tender, b, lot=1, amount=876_543_219, picks=[5, 9]),
        Sealed(tender, a, lot=2, amount=765_432_198, picks=[1, 15]),
    ]
    withdrawn = Sealed(tender, b, lot=2, amount=654_321_987, picks=[7, 13])
    replaced.submit(tender)
    bids = [sealed.submit(tender) for sealed in opened]
    bid = withdrawn.submit(tender)
    statement = envelope.withdrawal_statement(
        tender=tender.ocid, lot=2, supplier=b.brn, envelope_sha256=bid.sha256
    )
    bid_withdraw(bid=bid, statement=statement, signature=b.sign(statement), actor=b.user)
    everything = [replaced, *opened, withdrawn]

    # when the database is dumped before the opening
    before = database_dump()

    # then the envelopes are in it, and nothing they hold is
    for sealed in everything:
        assert hashlib.sha256(sealed.sealed).hexdigest() in before
        assert sealed.sealed.hex() in before.lower()
    assert leaked(before, [form for s in everything for form in s.secret_forms()]) == []

    # when the officers open the bids and the database is dumped again
    shares = [opener.shares()[tender.ocid] for opener in openers[:2]]
    tender.travel.move_to(tender.bid_close_at + timedelta(minutes=1))
    for opener, share in zip(openers[:2], shares, strict=True):
        opening_share_enter(tender=tender, actor=opener.user, share=share)
    openings_resume()
    after = database_dump()

    # then the opened amounts are there (the dump does show what the rows hold), and the
    # replaced and withdrawn envelopes' amounts still are not: they are never opened
    for bid in bids:
        bid.refresh_from_db()
        assert bid.status == BidStatus.OPENED, bid.rejection_reason
    for sealed in opened:
        assert str(sealed.amount) in after
    assert leaked(after, replaced.amount_forms() + withdrawn.amount_forms()) == []
