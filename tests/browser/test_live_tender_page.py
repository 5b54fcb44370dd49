"""In chromium: open tender pages follow the tender as it changes, without reloading."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch(page, url):
    page.goto(url)
    expect(page.locator("#live-indicator.on")).to_be_visible(timeout=10_000)
    page.evaluate("window.__notReloaded = true")


def test_a_cancellation_by_the_officer_reaches_an_open_tender_page(
    server, new_page, published, officer
):
    tender = published()
    citizen = new_page()
    watch(citizen, f"{server}/tenders/{tender.pk}/")
    expect(citizen.locator("[data-field=status]").first).to_have_text("공고")

    officer_page = new_page()
    sign_in(officer_page, server, "officer")
    officer_page.goto(f"{server}/agency/tenders/{tender.pk}/")
    officer_page.fill("form.danger textarea[name=reason]", "예산 재편성")
    officer_page.click("form.danger button[type=submit]")
    expect(officer_page.locator(".messages")).to_be_visible()

    status = citizen.locator("[data-field=status]").first
    expect(status).to_have_text("취소", timeout=5_000)
    expect(status).to_have_class("status status-cancelled")
    expect(citizen.locator("[data-field=cancel_reason_text]")).to_have_text("예산 재편성")
    # a cancelled tender's deadlines no longer count down
    expect(citizen.locator('time[data-deadline-field="bid_close_at"]')).to_have_text("")
    assert citizen.evaluate("window.__notReloaded") is True


def test_the_clock_moves_an_open_page_and_the_board_when_bidding_opens(
    server, new_page, opening_soon
):
    tender = opening_soon(seconds=6)

    page, board = new_page(), new_page(locale="en-US")
    watch(page, f"{server}/tenders/{tender.pk}/")
    watch(board, f"{server}/")
    expect(page.locator("[data-field=status]").first).to_have_text("공고")
    countdown = page.locator('time[data-deadline-field="bid_open_at"]')
    expect(countdown).to_have_text(re.compile(r"^00:00:0\d$"), timeout=5_000)
    expect(page.locator("[data-field=status]").first).to_have_text("입찰 중", timeout=15_000)
    row = board.locator(f'tr[data-tender-id="{tender.pk}"] [data-field=status]')
    expect(row).to_have_class("status status-bidding", timeout=15_000)
    assert page.evaluate("window.__notReloaded") is True


def test_a_publication_appears_on_an_open_board(server, new_page, make_draft, officer):
    board = new_page()
    watch(board, f"{server}/")
    draft = make_draft(title="실시간 게시 확인용 입찰")
    officer_page = new_page()
    sign_in(officer_page, server, "officer")
    officer_page.goto(f"{server}/agency/tenders/{draft.pk}/")
    officer_page.click("form.publish button[type=submit]")
    row = board.locator(f'tr[data-tender-id="{draft.pk}"]')
    expect(row).to_contain_text("실시간 게시 확인용 입찰", timeout=5_000)
    assert board.evaluate("window.__notReloaded") is True


def test_the_board_is_usable_on_a_phone(server, browser, published):
    published()
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="ko-KR")
    page = context.new_page()
    page.goto(f"{server}/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "the board must not scroll sideways on a phone"
    expect(page.locator("label[for=language]")).to_have_count(1)
    context.close()
