"""In chromium: a supplier signs and seals a bid in the browser and gets a receipt; after the
deadline two opening officers enter their shares and a public page watching the opening
shows the results live. The officer's shares page opens a share with the receiving key."""

import re
import time
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from django.utils import timezone
from playwright.sync_api import expect

from bidding.models import Bid, BidStatus, OpeningShare, ShareReceivingKey
from bidding.services import tender_register
from procurement import services
from procurement.models import ProcedureType
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AMOUNT, REPLACED_BY = 98_765_000, 97_531_000


def quick_qualification_review(qualification_review) -> ProcedureType:
    """The qualification review with its minimum periods removed, as the demo's copies."""
    values = {
        field.name: getattr(qualification_review, field.name)
        for field in ProcedureType._meta.concrete_fields
        if field.name not in ("id", "code")
    }
    return ProcedureType.objects.create(
        **{**values, "code": "quick-qr", "notice_period_days": 0, "amendment_period_days": 0}
    )


def tender_closing_in(seconds, *, make_draft, officer, procedure, lots=1):
    now = timezone.now()
    tender = make_draft(
        procedure=procedure,
        lots=lots,
        questions_close_at=now + timedelta(seconds=seconds - 10),
        registration_close_at=now + timedelta(seconds=seconds - 5),
        bid_open_at=now + timedelta(seconds=1),
        bid_close_at=now + timedelta(seconds=seconds),
        opening_at=now + timedelta(seconds=seconds + 60),
    )
    return services.tender_publish(tender=tender, actor=officer)


def bidding_open(tender):
    """Wait for the running server's clock to open bidding (it ticks every 0.2 s)."""
    from procurement.models import Tender, TenderStatus

    deadline = time.monotonic() + 20
    while Tender.objects.get(pk=tender.pk).status != TenderStatus.BIDDING:
        assert time.monotonic() < deadline, "bidding did not open"
        time.sleep(0.1)


def enroll(page, server):
    page.goto(f"{server}/certificates/")
    page.click("#browser-enroll button[type=submit]")
    expect(page.locator("html")).to_have_attribute(
        "data-enrolled", re.compile(r"^[0-9a-f]+$"), timeout=15_000
    )


def seal_and_submit(page, amount, picks, files=()):
    page.fill("#bid-amount", f"{amount:,}")
    for number in picks:
        page.check(f"#bid-picks input[value='{number}']")
    if files:
        page.set_input_files("#bid-documents", list(files))
    previous = page.locator("html").get_attribute("data-receipt")
    with page.expect_request(lambda r: "/bids" in r.url and r.method == "POST") as sent:
        page.click("#bid-form button[type=submit]")
    receipt = re.compile(r"^JR-") if previous is None else re.compile(rf"^JR-(?!{previous}$)")
    expect(page.locator("html")).to_have_attribute("data-receipt", receipt, timeout=15_000)
    return sent.value


def test_a_bid_sealed_in_the_browser_is_opened_by_two_officers_while_the_public_watches(
    server, new_page, make_draft, officer, openers, pki, bidder_a, supplier_a,
    qualification_review,
):  # fmt: skip
    tender = tender_closing_in(
        60, make_draft=make_draft, officer=officer,
        procedure=quick_qualification_review(qualification_review),
    )  # fmt: skip
    tender_register(tender=tender, supplier=supplier_a, actor=bidder_a)
    shares = {opener.user.username: opener.shares()[tender.ocid] for opener in openers[:2]}

    # given a bidder with a key made in this browser
    bidder = new_page()
    sign_in(bidder, server, "bidder_a")
    enroll(bidder, server)
    bidding_open(tender)
    bidder.goto(f"{server}/tenders/{tender.pk}/bid/")
    expect(bidder.locator("html")).to_have_attribute("data-bid-ready", "true", timeout=10_000)

    # when they sign and seal a bid, then replace it
    document = {"name": "산출내역서.txt", "mimeType": "text/plain", "buffer": "총액 산출".encode()}
    first = seal_and_submit(bidder, AMOUNT, picks=(3, 11), files=[document])
    first_receipt = bidder.locator("html").get_attribute("data-receipt")
    second = seal_and_submit(bidder, REPLACED_BY, picks=(2, 14))

    # then the platform received only sealed envelopes, and receipts came back at once
    for request in (first, second):
        body = request.post_data
        assert set(request.post_data_json) == {"envelope", "signature"}
        for secret in (str(AMOUNT), f"{AMOUNT:,}", str(REPLACED_BY), "산출"):
            assert secret not in body
        assert request.headers.get("idempotency-key")
    expect(bidder.locator("#bid-receipt [data-receipt=replaces]")).to_have_text(first_receipt)
    rows = bidder.locator("#my-bids tbody tr")
    expect(rows).to_have_count(2)
    expect(bidder.locator("#my-bids tr[data-status=superseded]")).to_have_count(1)
    expect(bidder.locator("#my-bids tr[data-status=sealed]")).to_have_count(1)
    assert Bid.objects.filter(tender=tender, status=BidStatus.SEALED).count() == 1
    assert Bid.objects.get(status=BidStatus.SEALED).amount is None  # sealed: nobody knows
    with bidder.expect_download() as downloaded:
        bidder.click("#bid-receipt a[data-receipt=download]")
    assert downloaded.value.suggested_filename.startswith("JR-")

    # and a citizen watches the opening page
    citizen = new_page(locale="en-US")
    citizen.goto(f"{server}/tenders/{tender.pk}/opening/")
    expect(citizen.locator("#live-indicator.on")).to_be_visible(timeout=10_000)
    citizen.evaluate("window.__notReloaded = true")
    expect(citizen.locator("#opening-results")).to_be_hidden()
    expect(citizen.locator("#opening-after")).to_be_hidden()

    # when, after the deadline, two officers enter their shares on the opening page
    time.sleep(max(0, (tender.bid_close_at - timezone.now()).total_seconds()) + 0.5)
    for username in ("opener1", "opener2"):
        page = new_page()
        sign_in(page, server, username)
        page.goto(f"{server}/tenders/{tender.pk}/opening/")
        page.fill("#share-words", shares[username])
        page.click("#share-form button[type=submit]")
        expect(page.locator("#opening")).to_have_attribute("data-share-entered", "true")

    # then the citizen's page shows the results without a reload
    expect(citizen.locator("#opening")).to_have_attribute("data-opened", "true", timeout=20_000)
    expect(citizen.locator("#opening-before")).to_be_hidden()  # it spoke of the future
    expect(citizen.locator("#opening-after")).to_contain_text("were opened")
    row = citizen.locator("#results-table tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(2)).to_have_text(f"{REPLACED_BY:,}")
    expect(row.locator("td").nth(3)).to_have_text("2, 14")
    expect(row).to_have_attribute("data-status", "opened")
    expect(citizen.locator("table.reserve-prices tbody tr")).to_have_count(15)
    expect(citizen.locator("[data-opening=private_key]")).to_have_text(re.compile("^[0-9a-f]{64}$"))
    assert citizen.evaluate("window.__notReloaded") is True
    # and the bidder's page knows its envelope is opened
    bidder.reload()
    expect(bidder.locator("#my-bids tr[data-status=opened]")).to_have_count(1)


def test_a_bidder_withdraws_a_bid_with_a_signed_statement(
    server, new_page, make_draft, officer, pki, bidder_a, supplier_a, lowest_price
):
    quick = ProcedureType.objects.create(
        code="quick-lp", name="빠른 최저가", method="lowest_price", notice_period_days=0,
        amendment_period_days=0,
    )  # fmt: skip
    tender = tender_closing_in(120, make_draft=make_draft, officer=officer, procedure=quick)
    tender_register(tender=tender, supplier=supplier_a, actor=bidder_a)
    page = new_page()
    sign_in(page, server, "bidder_a")
    enroll(page, server)
    bidding_open(tender)
    page.goto(f"{server}/tenders/{tender.pk}/bid/")
    expect(page.locator("html")).to_have_attribute("data-bid-ready", "true", timeout=10_000)
    assert page.locator("#bid-picks").count() == 0  # lowest price: no reserve prices
    seal_and_submit(page, 120_000_000, picks=())

    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_response(lambda r: "/withdrawal/" in r.url) as answer:
        page.click("#my-bids tr[data-status=sealed] button.danger")
    assert answer.value.status == 200
    expect(page.locator("#my-bids tr[data-status=withdrawn]")).to_have_count(1)
    bid = Bid.objects.get(tender=tender)
    assert bid.status == BidStatus.WITHDRAWN
    assert bid.receipts.count() == 2  # the bid's and the withdrawal's


def test_an_officer_opens_a_share_with_the_receiving_key_file_and_confirms_it(
    server, new_page, published, openers, tmp_path
):
    tender = published()
    opener = openers[0]
    pem = tmp_path / "opener1-receiving-key.pem"
    pem.write_bytes(
        opener.receiving_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    words = opener.shares()[tender.ocid]
    page = new_page()
    bodies = []
    page.on("request", lambda r: bodies.append(r.post_data or "") if r.method == "POST" else None)
    sign_in(page, server, "opener1")
    page.goto(f"{server}/opening/shares/")
    expect(page.locator("#officer-shares")).to_have_attribute("data-ready", "true")
    page.set_input_files("#receiving-key-file", str(pem))
    expect(page.locator("#officer-shares")).to_have_attribute(
        "data-key-file", ShareReceivingKey.objects.get(holder=opener.user).fingerprint
    )
    row = page.locator(f"#shares-table tr[data-ocid='{tender.ocid}']")
    row.locator("button.reveal").click()
    expect(row.locator(".share-words")).to_have_text(words)

    page.on("dialog", lambda dialog: dialog.accept())
    row.locator("button.confirm").click()
    expect(row).to_have_attribute("data-confirmed", "true")
    share = OpeningShare.objects.get(officer=opener.user, opening_key__tender=tender)
    assert share.sealed_share is None
    assert share.received_at is not None
    assert all("PRIVATE KEY" not in body and words not in body for body in bodies)


def test_an_officer_makes_a_receiving_key_in_the_browser(server, new_page, openers):
    page = new_page()
    sign_in(page, server, "opener3")
    page.goto(f"{server}/opening/shares/")
    expect(page.locator("#officer-shares")).to_have_attribute("data-ready", "true")
    with page.expect_response(lambda r: r.url.endswith("/receiving-key/")) as answer:
        page.click("#receiving-key-form button[type=submit]")
    assert answer.value.status == 201
    current = ShareReceivingKey.objects.get(holder=openers[2].user, retired_at__isnull=True)
    expect(page.locator("#receiving-fingerprint")).to_have_text(current.fingerprint)
    kept = page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open("jangteo-receiving-keys", 1);
        open.onsuccess = () => {
            const get = open.result.transaction("keys").objectStore("keys").getAll();
            get.onsuccess = () => resolve(
                get.result.map((r) => [r.fingerprint, r.privateKey.extractable]));
        };
    })""")
    assert kept == [[current.fingerprint, False]]
