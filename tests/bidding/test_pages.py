"""The browser pages of sealed bidding: who sees which page, and what a page may show
before and after the opening. Signing, sealing and unsealing in them is tested in chromium
(tests/browser/test_sealed_bidding.py)."""

import json
import re

import pytest

from bidding.submission import bid_submit

from .test_opening import open_with

pytestmark = pytest.mark.django_db


def config_of(page: str, name: str) -> dict:
    match = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


def test_a_registered_bidder_gets_the_bid_page_with_the_opening_key(client, in_bidding, bidders):
    a, _ = bidders
    client.force_login(a.user)
    page = client.get(f"/tenders/{in_bidding.pk}/bid/").content.decode()
    config = config_of(page, "bid-config")
    assert config["publicKey"] == in_bidding.opening_public_key
    assert config["tender"] == in_bidding.ocid
    assert config["companies"] == [{"brn": a.brn, "name": a.supplier.organisation.name}]
    assert config["submit"] == f"/api/v1/tenders/{in_bidding.pk}/lots/{{lot}}/bids"
    banner = re.search(r'<p class="notice-banner" id="bid-closed"[^>]*>', page).group(0)
    assert banner.endswith(" hidden>")  # inside the bid window: no "not open" banner


def test_the_bid_page_sends_nothing_of_the_bid_without_its_script(client, in_bidding, bidders):
    client.force_login(bidders[0].user)
    page = client.get(f"/tenders/{in_bidding.pk}/bid/").content.decode()
    form = page[page.index('<form id="bid-form"') : page.index("</form>", page.index("bid-form"))]
    names = set(re.findall(r'name="([^"]+)"', form))
    assert names == {"csrfmiddlewaretoken"}


def test_a_company_not_registered_is_sent_to_take_part(client, in_bidding, outsider):
    client.force_login(outsider)
    page = client.get(f"/tenders/{in_bidding.pk}/bid/").content.decode()
    assert config_of(page, "bid-config")["companies"] == []
    assert f"/tenders/{in_bidding.pk}/participate/" in page
    assert 'id="bid-form"' not in page


def test_the_bid_page_needs_a_signed_in_person(client, in_bidding):
    response = client.get(f"/tenders/{in_bidding.pk}/bid/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_draft_has_no_bid_page_or_opening(client, make_draft, bidder_a):
    draft = make_draft()
    client.force_login(bidder_a)
    assert client.get(f"/tenders/{draft.pk}/bid/").status_code == 404
    assert client.get(f"/tenders/{draft.pk}/opening/").status_code == 404


def test_the_opening_page_shows_nothing_about_bids_before_the_opening(client, in_bidding, bidders):
    a, b = bidders
    for bidder, amount in ((a, 93_512_000), (b, 94_177_000)):
        bidder.submit(in_bidding, amount=amount)
    page = client.get(f"/tenders/{in_bidding.pk}/opening/").content.decode()
    state = config_of(page, "opening-state")
    assert state["results"] is None
    assert state["private_key"] is None
    for secret in ("93512000", "93,512,000", a.supplier.organisation.name, b.brn):
        assert secret not in page
    assert 'id="share-form"' not in page  # an anonymous visitor enters no share


def test_a_designated_officer_gets_the_share_form_and_others_do_not(
    client, in_bidding, openers, officer
):
    client.force_login(openers[0].user)
    assert 'id="share-form"' in client.get(f"/tenders/{in_bidding.pk}/opening/").content.decode()
    client.force_login(openers[2].user)  # an opening officer, not designated for this tender
    assert (
        'id="share-form"' not in client.get(f"/tenders/{in_bidding.pk}/opening/").content.decode()
    )
    client.force_login(officer)
    assert (
        'id="share-form"' not in client.get(f"/tenders/{in_bidding.pk}/opening/").content.decode()
    )


def test_after_the_opening_the_page_carries_every_result(client, in_bidding, bidders, openers):
    a, _ = bidders
    sealed, signature = a.envelope(in_bidding, amount=93_512_000)
    bid_submit(
        tender_id=in_bidding.pk, lot_number=1, sealed=sealed, signature=signature, actor=a.user
    )
    open_with(in_bidding, openers[0], openers[1])
    state = config_of(
        client.get(f"/tenders/{in_bidding.pk}/opening/").content.decode(), "opening-state"
    )
    assert [(r["supplier"], r["amount"], r["status"]) for r in state["results"]] == [
        (a.brn, 93_512_000, "opened")
    ]
    assert state["private_key"]


def test_an_officer_sees_their_own_shares_only(client, in_bidding, openers):
    client.force_login(openers[0].user)
    page = client.get("/opening/shares/").content.decode()
    assert f'data-ocid="{in_bidding.ocid}"' in page
    assert 'data-sealed="true"' in page
    assert config_of(page, "shares-config")["officer"] == openers[0].user.pk
    client.force_login(openers[2].user)
    assert in_bidding.ocid not in client.get("/opening/shares/").content.decode()
