"""The live client's protocol in chromium, against a scripted socket: gaps are replayed,
out-of-order events wait for the missing one, and a lost last push is noticed by the pong."""

import time

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPTED_SOCKET = """
window.__sent = [];
window.__sockets = [];
window.WebSocket = class {
  constructor(url) {
    this.url = url; this.readyState = 0; window.__sockets.push(this);
    setTimeout(() => { this.readyState = 1; this.onopen && this.onopen(); }, 0);
  }
  send(data) { window.__sent.push(JSON.parse(data)); }
  close() {}
};
window.__emit = (message) => {
  const socket = window.__sockets[window.__sockets.length - 1];
  socket.onmessage({ data: JSON.stringify(message) });
};
"""


def wait_until(page, expression: str, seconds: float = 10) -> None:
    """Poll from here: Playwright's wait_for_function evaluates strings with eval, which the
    platform's Content Security Policy rightly forbids."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {seconds} s: {expression}"
        page.wait_for_timeout(50)


@pytest.fixture
def scripted(server, new_page, published):
    tender = published()
    page = new_page()
    page.add_init_script(SCRIPTED_SOCKET)
    page.goto(f"{server}/tenders/{tender.pk}/")
    wait_until(page, "window.__sockets.length === 1 && window.__sockets[0].readyState === 1")
    summary = page.request.get(f"{server}/api/v1/tenders/{tender.pk}/").json()
    assert summary["live_seq"] == 1
    return page, summary


def event(summary, seq, **changes):
    return {
        "type": "event",
        "topic": "t",
        "seq": seq,
        "kind": "tender.amended",
        "data": {"tender": {**summary, **changes}},
    }


def test_an_event_after_a_gap_waits_for_the_missing_one(scripted):
    page, summary = scripted
    status = page.locator("[data-field=status]").first
    # each event carries the whole public state after it
    page.evaluate("m => window.__emit(m)", event(summary, 3, status="cancelled", title="둘째 제목"))
    expect(status).to_have_class("status status-notice")  # not applied yet
    expect(page.locator("h1[data-field=title]")).to_have_text(summary["title"])
    assert page.evaluate("window.__sent") == [{"type": "resume", "since": 1}]

    page.evaluate("m => window.__emit(m)", event(summary, 2, title="둘째 제목"))
    expect(status).to_have_class("status status-cancelled")
    expect(page.locator("h1[data-field=title]")).to_have_text("둘째 제목")
    assert page.evaluate("document.documentElement.dataset.liveSeq") == "3"


def test_a_duplicate_is_ignored(scripted):
    page, summary = scripted
    page.evaluate("m => window.__emit(m)", event(summary, 2, title="새 제목"))
    page.evaluate("m => window.__emit(m)", event(summary, 2, title="다른 제목"))
    expect(page.locator("h1[data-field=title]")).to_have_text("새 제목")


def test_a_pong_ahead_of_the_client_asks_for_a_replay(scripted):
    page, summary = scripted
    page.evaluate("window.__emit({type: 'pong', seq: 4, server_time: new Date().toISOString()})")
    assert page.evaluate("window.__sent") == [{"type": "resume", "since": 1}]


def test_a_snapshot_replaces_the_state_and_the_number(scripted):
    page, summary = scripted
    snapshot = {
        "type": "snapshot",
        "topic": "t",
        "seq": 9,
        "data": {
            "tender": {
                **summary,
                "status": "bidding",
                "questions": [],
                "amendments": [],
                "documents": [],
            }
        },
    }
    page.evaluate("m => window.__emit(m)", snapshot)
    expect(page.locator("[data-field=status]").first).to_have_class("status status-bidding")
    assert page.evaluate("document.documentElement.dataset.liveSeq") == "9"
