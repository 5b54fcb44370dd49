"""Submissions racing each other and the opening, on PostgreSQL: between a submission's read
and its write nothing is locked, so its write must store nothing when what it read has
changed, and the whole submission must then be decided anew."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction
from django.utils import timezone

from bidding.exceptions import BidConflict
from bidding.models import Bid, BidStatus, OpeningKey, Receipt, TenderRegistration
from bidding.submission import bid_submit
from core.audit import sealed_stream, verify_stream
from core.models import AuditEvent
from procurement.models import Tender, TenderStatus

from ..conftest import needs_postgres
from .sealing import ready_to_store

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_postgres(
        "the write's guards, and connections racing each other; on SQLite the write lock "
        "is held from the read on instead"
    ),
]


def _in_threads(calls):
    """Run each call on its own thread and connection, all released at once; their
    results, or the exceptions they raised."""
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        try:
            return call()
        except Exception as error:  # noqa: BLE001 - the caller inspects it
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _sender(tender, bidder, amount):
    sealed, signature = bidder.envelope(tender, amount=amount)
    return lambda: bid_submit(
        tender_id=tender.pk, lot_number=1, sealed=sealed, signature=signature, actor=bidder.user
    )


def test_concurrent_submissions_keep_one_sealed_bid_each_and_one_chain(in_bidding, bidders):
    calls = [_sender(in_bidding, bidder, 90_000_000 + n) for bidder in bidders for n in range(4)]
    results = _in_threads(calls)
    accepted = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    # An attempt fails only when another one of the company got stored during it, and the
    # three attempts of one submission need three such others: of a company's four, at
    # most one is refused, with the conflict a client sends again.
    assert all(isinstance(error, BidConflict) for error in refused), refused
    assert len(accepted) >= 6
    assert Bid.objects.count() == len(accepted)
    assert Receipt.objects.count() == len(accepted)
    for bidder in bidders:
        mine = Bid.objects.filter(supplier=bidder.supplier)
        assert mine.filter(status=BidStatus.SEALED).count() == 1
        # every replaced receipt is named by exactly one later receipt
        receipts = {
            r.number: json.loads(bytes(r.body))["replaces"]
            for r in Receipt.objects.filter(bid__supplier=bidder.supplier)
        }
        replaced = [number for number in receipts.values() if number is not None]
        assert len(replaced) == len(set(replaced)) == len(receipts) - 1
        assert set(replaced) < set(receipts)
    events = AuditEvent.objects.filter(stream=sealed_stream(in_bidding.ocid), kind="bid.submitted")
    assert sorted(int(e.object_id) for e in events) == sorted(a.bid.pk for a in accepted)
    assert verify_stream(sealed_stream(in_bidding.ocid)) is None


def test_the_same_key_sent_twice_at_once_gives_one_bid_and_one_receipt(in_bidding, bidders):
    sealed, signature = bidders[0].envelope(in_bidding)
    args = {
        "tender_id": in_bidding.pk,
        "lot_number": 1,
        "sealed": sealed,
        "signature": signature,
        "actor": bidders[0].user,
        "idempotency_key": "twice-at-once",
    }
    first, second = _in_threads([lambda: bid_submit(**args), lambda: bid_submit(**args)])
    assert first.receipt.number == second.receipt.number
    assert sorted([first.replayed, second.replayed]) == [False, True]
    assert Bid.objects.count() == 1


def _ready_to_store(tender, bidder):
    """A submission read and decided, about to be written: its store."""
    return ready_to_store(tender, bidder, number="JR-READY").store


def _nothing_stored(tender):
    return (
        not Bid.objects.exists()
        and not Receipt.objects.exists()
        and not (AuditEvent.objects.filter(stream=sealed_stream(tender.ocid), kind="bid.submitted"))
    )


def test_a_bid_read_before_the_deadline_is_stored_though_the_clock_closed_bidding_meanwhile(
    in_bidding, bidders
):
    # given a bid read before the deadline, and the clock closing bidding before its write
    store = _ready_to_store(in_bidding, bidders[0])
    Tender.objects.filter(pk=in_bidding.pk).update(status=TenderStatus.OPENING)
    # then it is stored: the read's time decides, and the opening has not begun
    assert store() is True
    assert Bid.objects.filter(tender=in_bidding, status=BidStatus.SEALED).count() == 1


def _key_rebuilt(tender):
    OpeningKey.objects.filter(tender=tender).update(rebuilt_at=timezone.now())


def _write_while_held(store, hold):
    """Run `hold(held, release)` (it takes its locks, sets `held`, waits for `release`, then
    makes its change and commits) beside the write, which starts once the locks are held
    and is waiting on them when they are released. The write's result."""
    held, release = threading.Event(), threading.Event()

    def write():
        held.wait(5)
        threading.Timer(0.3, release.set).start()  # the write is waiting by then
        return store()

    return _in_threads([lambda: hold(held, release), write])[1]


def test_a_write_after_the_opening_began_stores_nothing(in_bidding, bidders):
    store = _ready_to_store(in_bidding, bidders[0])

    def opening(held, release):
        # What the opening does first: the k-th share rebuilds the key; then the runner
        # takes the tender, waits for bids still committing, and closes bidding.
        _key_rebuilt(in_bidding)
        with transaction.atomic():
            Tender.objects.select_for_update().get(pk=in_bidding.pk)
            held.set()
            release.wait(5)
            Tender.objects.filter(pk=in_bidding.pk).update(status=TenderStatus.OPENING)

    assert _write_while_held(store, opening) is False
    assert _nothing_stored(in_bidding)


def test_a_write_waiting_on_the_share_that_rebuilds_the_key_stores_nothing(in_bidding, bidders):
    """The write's snapshot is older than the rebuilding: only the lock on the key's row,
    which reads it again at its newest version, keeps the bid out of an opening begun."""
    store = _ready_to_store(in_bidding, bidders[0])

    def kth_share(held, release):
        with transaction.atomic():
            key = OpeningKey.objects.select_for_update().get(tender=in_bidding)
            held.set()
            release.wait(5)
            key.rebuilt_at = timezone.now()
            key.save(update_fields=["rebuilt_at"])

    assert _write_while_held(store, kth_share) is False
    assert _nothing_stored(in_bidding)


def test_a_bid_stored_before_the_share_that_rebuilds_the_key_is_kept(in_bidding, bidders):
    store = _ready_to_store(in_bidding, bidders[0])
    assert store() is True
    _key_rebuilt(in_bidding)
    assert Bid.objects.filter(tender=in_bidding, status=BidStatus.SEALED).count() == 1


def test_a_write_for_a_company_no_longer_registered_stores_nothing(in_bidding, bidders):
    store = _ready_to_store(in_bidding, bidders[0])
    TenderRegistration.objects.filter(supplier=bidders[0].supplier).delete()
    assert store() is False
    assert _nothing_stored(in_bidding)


def test_a_write_after_the_deadline_was_moved_before_it_stores_nothing(in_bidding, bidders):
    store = _ready_to_store(in_bidding, bidders[0])
    Tender.objects.filter(pk=in_bidding.pk).update(bid_close_at=in_bidding.bid_open_at)
    assert store() is False
    assert _nothing_stored(in_bidding)


def test_a_write_as_read_stores_the_bid_and_its_event(in_bidding, bidders):
    assert _ready_to_store(in_bidding, bidders[0])() is True
    assert Bid.objects.count() == Receipt.objects.count() == 1
    assert verify_stream(sealed_stream(in_bidding.ocid)) is None
