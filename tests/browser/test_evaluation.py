"""In chromium: an officer evaluates a qualification-review lot and awards it with a
signature made in the browser; a losing bidder files a complaint; the review body dismisses
it; a citizen's evaluation page shows each step as it happens, without a reload."""

import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bidding.opening import opening_share_enter
from bidding.services import tender_register
from bidding.submission import bid_submit
from evaluation.models import Award, AwardStatus, Complaint, ComplaintStatus
from procurement.models import Tender, TenderStatus
from tests.bidding.sealing import bidder_make
from tests.browser.conftest import sign_in
from tests.browser.test_sealed_bidding import quick_qualification_review, tender_closing_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail("timed out")


def opened_for_real(tender, openers, bids, *, lots=(1,)) -> Tender:
    """Bid on `tender` (procedure without minimum periods) as its window opens on the running
    server's clock, and open it with two officers; returns it under evaluation.
    `bids`: [(bidder, amount, picks)], each made for every lot of `lots`."""
    for bidder, _amount, _picks in bids:
        tender_register(tender=tender, supplier=bidder.supplier, actor=bidder.user)
    wait_for(lambda: Tender.objects.get(pk=tender.pk).status == TenderStatus.BIDDING)
    for lot in lots:
        for bidder, amount, picks in bids:
            sealed, signature = bidder.envelope(tender, lot=lot, amount=amount, picks=picks)
            bid_submit(tender_id=tender.pk, lot_number=lot, sealed=sealed, signature=signature,
                       actor=bidder.user)  # fmt: skip
    shares = [opener.shares()[tender.ocid] for opener in openers[:2]]
    wait_for(lambda: timezone.now() > tender.bid_close_at)
    for opener, words in zip(openers[:2], shares, strict=True):
        opening_share_enter(tender=tender, actor=opener.user, share=words)
    # the running server's clock opens the envelopes (the browser's event loop is running
    # in this thread, where the signature checks cannot run their own)
    wait_for(lambda: Tender.objects.get(pk=tender.pk).status == TenderStatus.EVALUATION)
    return tender


@pytest.fixture
def evaluated(server, make_draft, officer, openers, pki, bidder_a, supplier_a, bidder_b,
              supplier_b, qualification_review):  # fmt: skip
    """A qualification-review tender opened for real: B bid 90 million (the lowest in
    range, under review first), A 92 million."""
    tender = tender_closing_in(
        12, make_draft=make_draft, officer=officer,
        procedure=quick_qualification_review(qualification_review),
    )  # fmt: skip
    a, b = bidder_make(bidder_a, supplier_a), bidder_make(bidder_b, supplier_b)
    return opened_for_real(tender, openers, [(a, 92_000_000, [1, 2]), (b, 90_000_000, [3, 4])])


def test_an_award_a_complaint_and_its_dismissal_reach_a_watching_citizen_live(
    evaluated, server, new_page, officer, reviewer
):
    url = f"{server}/tenders/{evaluated.pk}/evaluation/"
    citizen = new_page(locale="en-US")
    citizen.goto(url)
    expect(citizen.locator("#live-indicator.on")).to_be_visible(timeout=10_000)
    citizen.evaluate("window.__notReloaded = true")
    expect(citizen.locator("table.reserve-prices tbody tr")).to_have_count(15)
    expect(citizen.locator("table.reserve-prices tr.chosen")).to_have_count(4)
    expect(citizen.locator("tr[data-status=proposed]")).to_have_attribute(
        "data-supplier", "2148712348"
    )

    # the officer gets a key in the browser, scores the bid under review and awards it
    desk = new_page()
    sign_in(desk, server, "officer")
    desk.goto(f"{server}/certificates/")
    desk.click("#browser-enroll button[type=submit]")
    expect(desk.locator("html")).to_have_attribute("data-enrolled", re.compile("."), timeout=15_000)
    desk.goto(url)
    proposed = desk.locator("tr[data-status=proposed]")
    proposed.locator(".score-form [name=capability]").fill("70")
    proposed.locator(".score-form [name=evidence]").fill("최근 3년 납품실적 5건")
    proposed.locator(".score-form button").click()
    desk.on("dialog", lambda dialog: dialog.accept())
    desk.locator("tr[data-status=proposed] .award-form button").click()
    expect(citizen.locator(".award-notice[data-status=pending]")).to_be_visible(timeout=15_000)
    award = Award.objects.get()
    assert award.status == AwardStatus.PENDING
    assert award.decided_by == officer

    # the losing bidder complains, with a document
    loser = new_page()
    sign_in(loser, server, "bidder_a")
    loser.goto(url)
    form = loser.locator(".complaint-form[data-supplier='1018163364']")
    form.locator("[name=text]").fill("기술능력 평가가 잘못되었습니다")
    form.locator("[name=documents]").set_input_files(
        [{"name": "근거.txt", "mimeType": "text/plain", "buffer": "실적 증명".encode()}]
    )
    form.locator("button").click()
    expect(citizen.locator("li[data-complaint][data-status=submitted]")).to_be_visible(
        timeout=15_000
    )

    # the review body accepts it for review and dismisses it with reasons
    body = new_page()
    sign_in(body, server, "reviewer")
    body.goto(url)
    body.locator(".decision-form button[value=accept]").click()
    expect(citizen.locator("li[data-complaint][data-status=accepted]")).to_be_visible(
        timeout=15_000
    )
    # the reviewer's own page is done with the acceptance before the reasons are typed
    expect(body.locator("#evaluation")).not_to_have_attribute("aria-busy", "true")
    body.locator(".decision-form [name=reason]").fill("평가는 기준에 따라 이루어졌습니다")
    body.locator(".decision-form button[value=dismiss]").click()
    dismissed = citizen.locator("li[data-complaint][data-status=dismissed]")
    expect(dismissed).to_contain_text("평가는 기준에 따라 이루어졌습니다", timeout=15_000)
    assert Complaint.objects.get().status == ComplaintStatus.DISMISSED
    assert citizen.evaluate("window.__notReloaded") is True
