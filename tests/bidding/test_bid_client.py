"""jangteo-client end to end against a real server process: a supplier signs and seals a bid
on their machine, lists, replaces and withdraws it, two officers enter their shares, the
server's clock opens the envelopes, and anyone re-checks the opening from public data alone."""

import http.client
import http.server
import re
import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from bidding.models import Bid, BidStatus, Receipt
from bidding.services import tender_register
from procurement.management.commands.seed_demo import demo_procedure
from procurement.models import Tender, TenderStatus

from ..esign.conftest import needs_openssl

pytestmark = [pytest.mark.django_db(transaction=True), needs_openssl]


def wait_for(condition, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    pytest.fail("timed out")


def client_tender(client_cli, bidder, supplier, make_draft, officer, *, closes_in):
    """The bidder enrolled with the client, and a published lowest-price tender taking bids
    until `closes_in` from now, the supplier registered for it."""
    from procurement import services

    enrolled = client_cli(bidder, "enroll", "--organisation", supplier.organisation.code)
    assert enrolled.returncode == 0, enrolled.stderr
    now = timezone.now()
    registration_close = min(closes_in / 4, timedelta(minutes=1))
    tender = make_draft(
        procedure=demo_procedure("lowest-price"),
        questions_close_at=now + registration_close,
        registration_close_at=now + registration_close,
        bid_open_at=now - timedelta(minutes=1),
        bid_close_at=now + closes_in,
        opening_at=now + closes_in,
    )
    tender = services.tender_publish(tender=tender, actor=officer)
    tender_register(tender=tender, supplier=supplier, actor=bidder)
    return tender


def test_bid_open_and_verify_with_the_client(
    client_cli, pki, bidder_a, supplier_a, openers, make_draft, officer
):
    tender = client_tender(
        client_cli, bidder_a, supplier_a, make_draft, officer, closes_in=timedelta(seconds=20)
    )
    shares = [opener.shares()[tender.ocid] for opener in openers[:2]]

    result = client_cli(
        bidder_a, "bid", str(tender.pk), "--supplier", "1018163364", "--amount", "91234000"
    )
    assert result.returncode == 0, result.stderr
    assert "receipt JR-" in result.stdout
    bid = Bid.objects.get()
    assert bid.amount is None
    assert bid.idempotency_key

    early = client_cli(openers[0].user, "opening-share", str(tender.pk), "--words", shares[0])
    assert early.returncode == 2
    assert "409, too_early" in early.stderr

    wait_for(lambda: timezone.now() > tender.bid_close_at, seconds=30)
    for opener, words in zip(openers[:2], shares, strict=True):
        entered = client_cli(opener.user, "opening-share", str(tender.pk), "--words", words)
        assert entered.returncode == 0, entered.stderr
    wait_for(lambda: Tender.objects.get(pk=tender.pk).status == TenderStatus.EVALUATION)
    bid.refresh_from_db()
    assert (bid.status, bid.amount) == (BidStatus.OPENED, 91_234_000)

    verified = client_cli(None, "verify-opening", str(tender.pk))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "everything agrees" in verified.stdout

    Bid.objects.filter(pk=bid.pk).update(amount=1_000)  # someone rewrites the result
    caught = client_cli(None, "verify-opening", str(tender.pk))
    assert caught.returncode == 1
    assert "MISMATCH" in caught.stdout


BRN_A = "1018163364"


@pytest.fixture
def bidding_now(client_cli, pki, bidder_a, supplier_a, make_draft, officer):
    """A tender taking bids for the next ten minutes, supplier A registered for it and its
    bidder enrolled with the client."""
    return client_tender(
        client_cli, bidder_a, supplier_a, make_draft, officer, closes_in=timedelta(minutes=10)
    )


def bid_id_printed(result) -> int:
    assert result.returncode == 0, result.stderr
    return int(re.search(r"^bid (\d+) sealed and received at ", result.stdout, re.M).group(1))


def key_printed(result) -> str:
    return re.search(r"Idempotency-Key (\S+)", result.stderr).group(1)


def test_bids_lists_a_bid_its_replacement_and_withdrawal_with_every_receipt(
    client_cli, bidding_now, bidder_a, tmp_path
):
    tender = str(bidding_now.pk)
    first = bid_id_printed(
        client_cli(bidder_a, "bid", tender, "--supplier", BRN_A, "--amount", "91234000")
    )
    second = bid_id_printed(
        client_cli(bidder_a, "bid", tender, "--supplier", BRN_A, "--amount", "91000000")
    )
    assert {first, second} == set(Bid.objects.values_list("pk", flat=True))
    withdrawn = client_cli(bidder_a, "withdraw", tender, str(second))
    assert withdrawn.returncode == 0, withdrawn.stderr
    # Withdrawing again, as after a lost answer: the first receipt, nothing stored anew.
    again = client_cli(bidder_a, "withdraw", tender, str(second))
    assert again.returncode == 0, again.stderr
    assert again.stdout == withdrawn.stdout

    listed = client_cli(bidder_a, "bids", tender, "--save-receipts")

    assert listed.returncode == 0, listed.stderr
    numbers = {(r.bid_id, r.kind): r.number for r in Receipt.objects.all()}
    assert len(numbers) == 3
    replaced, current = numbers[first, "bid"], numbers[second, "bid"]
    withdrawal = numbers[second, "withdrawal"]
    lines = listed.stdout.splitlines()
    assert lines[0].startswith(f"bid {second}  lot 1  supplier {BRN_A}  withdrawn ")
    assert re.match(rf"    bid +receipt {current}  replaces {replaced}  kept in ", lines[1])
    assert re.match(
        rf"    withdrawal +receipt {withdrawal}  withdraws {current}  kept in ", lines[2]
    )
    assert lines[3].startswith(f"bid {first}  lot 1  supplier {BRN_A}  superseded ")
    assert re.match(rf"    bid +receipt {replaced}  kept in ", lines[4])
    assert len(lines) == 5
    # What --save-receipts keeps is the bundle the platform's download gives.
    browser = Client()
    browser.force_login(bidder_a)
    for number in (replaced, current, withdrawal):
        kept = (tmp_path / "home" / "receipts" / f"{number}.json").read_bytes()
        assert kept == browser.get(f"/api/v1/receipts/{number}/").content


def test_a_bid_run_again_with_its_idempotency_key_is_the_same_bid(
    client_cli, bidding_now, bidder_a
):
    bid = ["bid", str(bidding_now.pk), "--supplier", BRN_A, "--amount", "91234000"]
    first = client_cli(bidder_a, *bid, "--idempotency-key", "erp-order-4711")
    again = client_cli(bidder_a, *bid, "--idempotency-key", "erp-order-4711")

    assert bid_id_printed(first) == bid_id_printed(again) == Bid.objects.get().pk
    receipt = Receipt.objects.get().number
    assert f"receipt {receipt} " in first.stdout
    assert f"receipt {receipt} " in again.stdout
    assert key_printed(again) == "erp-order-4711"

    other = client_cli(bidder_a, *bid[:-1], "90000000", "--idempotency-key", "erp-order-4711")
    assert other.returncode == 2
    assert "was used for another bid" in other.stderr
    assert Bid.objects.count() == 1


class Gateway(http.server.BaseHTTPRequestHandler):
    """Between the client and the platform: passes every request on, and loses the answers
    to the first bid submissions after the platform has handled them, as a broken network
    (`drop`) or a gateway that gave up waiting (`504`) would."""

    def do_GET(self):
        self.pass_on()

    def do_POST(self):
        self.pass_on()

    def pass_on(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        upstream = http.client.HTTPConnection(*self.server.platform, timeout=60)
        upstream.request(
            self.command,
            self.path,
            body=body or None,
            headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
        )
        answer = upstream.getresponse()
        content = answer.read()
        upstream.close()
        loss = None
        if self.command == "POST":
            self.server.keys.append(self.headers["Idempotency-Key"])
            loss = self.server.losses.pop(0) if self.server.losses else None
        if loss == "drop":
            self.close_connection = True
            return
        self.send_response(504 if loss == "504" else answer.status)
        self.send_header("Content-Type", answer.getheader("Content-Type") or "text/plain")
        self.send_header("Content-Length", "0" if loss == "504" else str(len(content)))
        self.end_headers()
        if loss is None:
            self.wfile.write(content)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(server):
    where = urlsplit(server)
    serving = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    serving.platform, serving.keys, serving.losses = (where.hostname, where.port), [], []
    thread = threading.Thread(target=serving.serve_forever, daemon=True)
    thread.start()
    yield serving
    serving.shutdown()
    serving.server_close()


def test_a_bid_whose_answer_is_lost_is_sent_again_with_the_same_key(
    client_cli, bidding_now, bidder_a, gateway
):
    gateway.losses = ["drop", "504"]
    address = f"http://127.0.0.1:{gateway.server_address[1]}"
    bid = ["bid", str(bidding_now.pk), "--supplier", BRN_A, "--amount", "91234000"]

    result = client_cli(bidder_a, "--server", address, *bid)

    assert bid_id_printed(result) == Bid.objects.get().pk
    assert f"receipt {Receipt.objects.get().number} " in result.stdout
    assert result.stderr.count("sending the same request again") == 2
    key = key_printed(result)
    assert gateway.keys == [key, key, key]
    assert Bid.objects.get().idempotency_key == key
