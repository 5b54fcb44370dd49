"""A real chromium for the browser tests; they use the `server` fixture of tests/conftest.py
(`manage.py serve` on the test database), so a change made through one browser reaches the
others the way it does in production: through the server, never through the test process."""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"chromium not found at {CHROMIUM}: run `make test` (it installs it) or set CHROMIUM"
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in the test thread for as long as it runs;
    # the tests' own ORM calls (and the database flush after each) are still plain
    # synchronous code, so Django is told to allow them while the browser is up.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(locale="ko-KR"):
        context = browser.new_context(locale=locale, timezone_id="Asia/Seoul")
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, base, username):
    """Sign `username` in through the login page (every test person has this password)."""
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(f"{base}/accounts/me/")
