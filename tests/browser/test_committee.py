"""In chromium: a best-value lot's committee. The officer appoints three evaluators on the
evaluation page; each gets a key in the browser, signs the declaration of no conflict of
interest and then a score sheet; the last sheet ranks the bids and a watching citizen sees
the proposed winner appear."""

import re

import pytest
from playwright.sync_api import expect

from evaluation.models import CommitteeMember
from procurement.models import ProcedureType
from tests.bidding.sealing import bidder_make
from tests.browser.conftest import sign_in
from tests.browser.test_evaluation import opened_for_real
from tests.browser.test_sealed_bidding import tender_closing_in
from tests.conftest import _person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _opened_best_value(*, lots, make_draft, officer, openers, agency, bidder_a, supplier_a,
                       bidder_b, supplier_b, best_value):  # fmt: skip
    """A best-value tender of `lots` lots, without minimum periods, with three evaluators in
    the agency, bid on by A (92 million) and B (90 million) for every lot and opened."""
    from accounts.models import Role

    values = {f.name: getattr(best_value, f.name) for f in ProcedureType._meta.concrete_fields
              if f.name not in ("id", "code")}  # fmt: skip
    quick = ProcedureType.objects.create(
        **{**values, "code": "quick-bv", "notice_period_days": 0, "amendment_period_days": 0}
    )
    for n in (1, 2, 3):
        _person(f"evaluator{n}", agency, Role.EVALUATOR)
    tender = tender_closing_in(
        12, make_draft=make_draft, officer=officer, procedure=quick, lots=lots
    )
    a, b = bidder_make(bidder_a, supplier_a), bidder_make(bidder_b, supplier_b)
    return opened_for_real(
        tender, openers, [(a, 92_000_000, []), (b, 90_000_000, [])], lots=range(1, lots + 1)
    )


@pytest.fixture
def best_value_lot(server, make_draft, officer, openers, pki, agency, bidder_a, supplier_a,
                   bidder_b, supplier_b, best_value):  # fmt: skip
    return _opened_best_value(
        lots=1, make_draft=make_draft, officer=officer, openers=openers, agency=agency,
        bidder_a=bidder_a, supplier_a=supplier_a, bidder_b=bidder_b, supplier_b=supplier_b,
        best_value=best_value,
    )  # fmt: skip


@pytest.fixture
def best_value_lots(server, make_draft, officer, openers, pki, agency, bidder_a, supplier_a,
                    bidder_b, supplier_b, best_value):  # fmt: skip
    """Two lots, each with the same three evaluators appointed to its committee."""
    from accounts.models import User
    from evaluation.committee import committee_appoint
    from evaluation.models import Evaluation

    tender = _opened_best_value(
        lots=2, make_draft=make_draft, officer=officer, openers=openers, agency=agency,
        bidder_a=bidder_a, supplier_a=supplier_a, bidder_b=bidder_b, supplier_b=supplier_b,
        best_value=best_value,
    )  # fmt: skip
    members = list(User.objects.filter(username__startswith="evaluator"))
    for evaluation in Evaluation.objects.filter(lot__tender=tender):
        committee_appoint(evaluation=evaluation, actor=officer, members=members)
    return tender


def test_a_committee_declares_and_scores_in_the_browser_and_the_first_is_proposed(
    best_value_lot, server, new_page
):
    url = f"{server}/tenders/{best_value_lot.pk}/evaluation/"
    citizen = new_page(locale="en-US")
    citizen.goto(url)
    expect(citizen.locator("#live-indicator.on")).to_be_visible(timeout=10_000)
    citizen.evaluate("window.__notReloaded = true")

    desk = new_page()
    sign_in(desk, server, "officer")
    desk.goto(url)
    for box in desk.locator(".appoint-form input[type=checkbox]").all():
        box.check()
    desk.locator(".appoint-form button").click()
    expect(citizen.locator('[data-f="committee-progress"]')).to_contain_text("3 members")

    # A, the dearer bid, is marked far better on quality by every member
    marks = {"1018163364": "0.97", "2148712348": "0.86"}
    for n in (1, 2, 3):
        page = new_page()
        sign_in(page, server, f"evaluator{n}")
        page.goto(f"{server}/certificates/")
        page.click("#browser-enroll button[type=submit]")
        expect(page.locator("html")).to_have_attribute(
            "data-enrolled", re.compile("."), timeout=15_000
        )
        page.goto(f"{server}/evaluation/committee/")
        seat = page.locator("section.seat")
        seat.locator(".declare-form button").click()
        expect(seat.locator(".scoresheet-form")).to_be_visible()
        points = [
            int(re.search(r"\((\d+)\)", text).group(1))
            for text in seat.locator("thead th").all_inner_texts()[1:]
        ]
        rows = seat.locator("tbody tr")
        for i in range(rows.count()):
            row = rows.nth(i)
            supplier = next(s for s in marks if s in row.inner_text())
            for box, out_of in zip(row.locator("input").all(), points, strict=True):
                box.fill(f"{out_of * float(marks[supplier]):.2f}")
        seat.locator(".scoresheet-form button").click()
        expect(page.locator('section.seat [data-f="done"]')).to_contain_text("·", timeout=10_000)

    proposed = citizen.locator("tr[data-status=proposed]")
    expect(proposed).to_have_attribute("data-supplier", "1018163364", timeout=15_000)
    assert CommitteeMember.objects.filter(submitted_at__isnull=False).count() == 3
    expect(citizen.locator("table.member-scores")).to_have_count(0)  # before the award: none
    assert citizen.evaluate("window.__notReloaded") is True


def test_scores_typed_on_one_committee_survive_a_step_taken_on_another(
    best_value_lots, server, new_page
):
    page = new_page()
    sign_in(page, server, "evaluator1")
    page.goto(f"{server}/certificates/")
    page.click("#browser-enroll button[type=submit]")
    expect(page.locator("html")).to_have_attribute("data-enrolled", re.compile("."), timeout=15_000)
    page.goto(f"{server}/evaluation/committee/")
    expect(page.locator("section.seat")).to_have_count(2)
    first, second = page.locator("section.seat").all()
    first_seat, second_seat = first.get_attribute("data-seat"), second.get_attribute("data-seat")

    def seat(number):
        return page.locator(f'section.seat[data-seat="{number}"]')

    seat(second_seat).locator(".declare-form button").click()
    expect(seat(second_seat).locator(".scoresheet-form")).to_be_visible()
    boxes = seat(second_seat).locator("tbody input")
    typed = [f"{n + 1}.5" for n in range(boxes.count())]
    for box, value in zip(boxes.all(), typed, strict=True):
        box.fill(value)

    # declaring on the other committee renders every seat again
    seat(first_seat).locator(".declare-form button").click()
    expect(seat(first_seat).locator(".scoresheet-form")).to_be_visible()
    kept = [box.input_value() for box in seat(second_seat).locator("tbody input").all()]
    assert kept == typed
    assert [box.input_value() for box in seat(first_seat).locator("tbody input").all()] == [
        ""
    ] * len(typed)
